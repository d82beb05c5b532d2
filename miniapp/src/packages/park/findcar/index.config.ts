export default definePageConfig({ navigationBarTitleText: '找我的车' });
