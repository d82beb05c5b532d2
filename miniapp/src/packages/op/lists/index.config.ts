export default definePageConfig({ navigationBarTitleText: '黑白名单' });
