/** The app API: every endpoint's contract, shared by the server and the mini-program. */
export * from './contract';
export * from './auth';
export * from './me';
export * from './orders';
export * from './parks';
export * from './history';
export * from './demo';
export * from './op-accounts';
export * from './op-parks';
export * from './op-lot';
export * from './agreements';
export * from './op-coupons';
export * from './op-lists';
export * from './bookings';
export * from './op-bookings';
export * from './op-reconciliation';
export * from './op-audit';
