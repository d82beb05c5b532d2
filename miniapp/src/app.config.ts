export default defineAppConfig({
  pages: ['pages/index/index'],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#0b5fff',
    navigationBarTitleText: 'ParkPay',
    navigationBarTextStyle: 'white',
  },
});
