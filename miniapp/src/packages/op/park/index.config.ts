export default definePageConfig({ navigationBarTitleText: '车场' });
