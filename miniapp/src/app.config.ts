// Main package: what a scan needs (home, lane, pay). The less used pages are subpackages, loaded on demand.
export default defineAppConfig({
  pages: ['pages/index/index', 'pages/lane/index', 'pages/pay/index'],
  subPackages: [
    { root: 'packages/park', pages: ['prepay/index', 'park/index', 'list/index', 'findcar/index', 'pass/index'] },
    { root: 'packages/me', pages: ['plates/index', 'parking/index', 'history/index', 'receipt/index', 'agreements/index', 'invoice/index', 'messages/index'] },
    { root: 'packages/book', pages: ['offers/index', 'mine/index'] },
    // Operators (车场管理): their own subpackage, never downloaded by drivers.
    { root: 'packages/op', pages: ['login/index', 'parks/index', 'park/index', 'settings/index', 'lanes/index', 'spaces/index', 'cars/index', 'audit/index', 'coupons/index', 'lists/index', 'bookings/index', 'passes/index', 'reconcile/index', 'accounts/index', 'invoices/index'] },
  ],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#0b5fff',
    navigationBarTitleText: 'ParkPay',
    navigationBarTextStyle: 'white',
  },
});
