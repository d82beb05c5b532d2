export default definePageConfig({ navigationBarTitleText: '车位 · 找车' });
