export default definePageConfig({ navigationBarTitleText: '月卡续费' });
