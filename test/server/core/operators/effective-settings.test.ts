/** The settings in effect for a park: its own where it has them, else the defaults the lane code applies. */
import { effectiveSettings } from '../../../../server/src/core/operators/parks';
import { serviceLines } from '../../../../server/src/adapter/posters/lane-codes';

describe('effective settings', () => {
  it('nothing set: WeChat’s lane QR when set up, money secured, both gate rules on — all said to be defaults', () => {
    expect(effectiveSettings(undefined, ['wechat', 'alipay'])).toEqual({
      laneQrProvider: 'wechat',
      channelPayPolicy: 'secured',
      openGate: { blacklist: true, bookings: true },
      withholding: { maxPerDeductionFen: 10_000, maxPerDayFen: 20_000 },
      defaulted: ['laneQrProvider', 'channelPayPolicy', 'openGate.blacklist', 'openGate.bookings', 'withholding.maxPerDeductionFen', 'withholding.maxPerDayFen'],
    });
  });

  it('a provider the server has not set up is not what applies (the lane shows the other)', () => {
    expect(effectiveSettings({ laneQrProvider: 'wechat' }, ['alipay'])).toMatchObject({ laneQrProvider: 'alipay', defaulted: expect.arrayContaining(['laneQrProvider']) });
    expect(effectiveSettings({}, []).laneQrProvider).toBeNull();
  });

  it('what the park set applies and is not a default', () => {
    expect(effectiveSettings({ laneQrProvider: 'alipay', channelPayPolicy: 'accepted', openGate: { blacklist: false }, withholding: { maxPerDayFen: 50_000 } }, ['wechat', 'alipay'])).toEqual({
      laneQrProvider: 'alipay',
      channelPayPolicy: 'accepted',
      openGate: { blacklist: false, bookings: true },
      withholding: { maxPerDeductionFen: 10_000, maxPerDayFen: 50_000 },
      defaulted: ['openGate.bookings', 'withholding.maxPerDeductionFen'],
    });
  });
});

describe('the poster’s service lines', () => {
  it('one line per thing the park said, none for what it did not', () => {
    expect(serviceLines({ tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null })).toEqual({ tariff: null, lines: [] });
    expect(serviceLines({ tariffText: '首小时 5 元', freeMinutes: 0, paidFreeMinutes: 0, phone: '010-1', address: null })).toEqual({
      tariff: '首小时 5 元',
      lines: ['入场即开始计费，没有免费时间', '缴费后请立即离场', '服务电话：010-1'],
    });
  });
});
