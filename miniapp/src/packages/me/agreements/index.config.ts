export default definePageConfig({ navigationBarTitleText: '无感支付' });
