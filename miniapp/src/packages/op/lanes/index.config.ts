export default definePageConfig({ navigationBarTitleText: '车道' });
