export default definePageConfig({ navigationBarTitleText: '找车' });
