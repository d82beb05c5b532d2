export default definePageConfig({ navigationBarTitleText: '车场管理登录' });
