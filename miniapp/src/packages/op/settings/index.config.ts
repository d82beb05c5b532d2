export default definePageConfig({ navigationBarTitleText: '车场设置' });
