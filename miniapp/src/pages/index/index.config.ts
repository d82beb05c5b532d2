export default definePageConfig({ navigationBarTitleText: 'ParkPay' });
