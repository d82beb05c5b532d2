export default definePageConfig({ navigationBarTitleText: '提前缴费' });
