export default definePageConfig({ navigationBarTitleText: '选择停车场' });
