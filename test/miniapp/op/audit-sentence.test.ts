/**
 * The audit log as sentences: every audited action (each operator endpoint that is not a GET, and the
 * login) has its sentence, built from the facts the server records (shared/api/op-audit.ts); refusals say
 * that nothing happened and why; older entries without facts still read as Chinese.
 */
import * as allApi from '../../../shared/api';
import * as invoiceApi from '../../../shared/api/invoices';
import type { EndpointDef } from '../../../shared/api/contract';
import type { AuditEntryView } from '../../../shared/api/op-accounts';
import { AUDITED_ACTIONS, type AuditedAction, type AuditFactsByAction } from '../../../shared/api/op-audit';
import { AUDIT_SENTENCE_ACTIONS, auditSentence, minutesText } from '../../../miniapp/src/packages/op/audit/sentence';
import { opErrorTitle } from '../../../miniapp/src/packages/op/services/errors';

const entry = (action: string, facts: Record<string, unknown>, over: Partial<AuditEntryView> = {}): AuditEntryView => ({
  at: '2026-11-28T02:00:00.000Z',
  operatorId: 'op_1',
  username: 'zhangsan',
  displayName: '张三',
  action,
  parkNumber: 'p_demo_001',
  facts: facts as AuditEntryView['facts'],
  target: null,
  result: 'ok',
  code: null,
  ...over,
});

/** One example per action: its facts as the server writes them, and the sentence. */
const CASES: { [A in AuditedAction]: [AuditFactsByAction[A], string][] } = {
  'POST /api/op/auth/login': [[{}, '张三 登录了车场管理']],
  'POST /api/op/auth/logout': [[{}, '张三 退出了登录']],
  'POST /api/op/me/password': [[{}, '张三 修改了自己的密码']],
  'POST /api/op/operators': [
    [{ username: 'lisi', role: 'operator', parks: ['p_demo_001'] }, '张三 创建了账号 lisi（车场管理员，车场 p_demo_001）'],
    [{ username: 'boss', role: 'admin' }, '张三 创建了账号 boss（平台管理员）'],
  ],
  'POST /api/op/operators/:operatorId': [
    [{ operatorId: 'op_2', username: 'lisi', role: 'merchant', parks: ['p_demo_001', 'p_x'] }, '张三 修改了账号 lisi：角色改为商户，可管理车场改为 p_demo_001、p_x'],
    [{ operatorId: 'op_2', username: 'lisi', disabled: true }, '张三 修改了账号 lisi：停用了账号'],
    [{ operatorId: 'op_2', passwordReset: true }, '张三 修改了账号 op_2：重设了密码'],
  ],
  'POST /api/op/parks': [[{ parkNumber: 'p_new', name: '新停车场' }, '张三 登记了车场 新停车场（p_new）']],
  'POST /api/op/parks/:parkNumber': [
    [{ name: '示例停车场（东区）', openGateBlacklist: false }, '张三 修改了车场设置：车场名称改为「示例停车场（东区）」，黑名单车辆禁止入场关闭'],
    [{ laneQrProvider: 'alipay', channelPayPolicy: 'accepted', openGateBookings: true }, '张三 修改了车场设置：车道屏付款码改为支付宝，无感支付何时抬杆改为“支付方担保即抬杆”，预约车辆自动开闸开启'],
    [{ tariffText: '首小时 5 元', freeMinutes: 15, paidFreeMinutes: null, phone: '010-12345678' }, '张三 修改了车场设置：修改了收费标准说明，免费时长改为 15 分钟，缴费后离场时间改为按车场规则，服务电话改为 010-12345678'],
    [{ keyChanged: true, bluecardBaseUrl: 'https://lot.example.com' }, '张三 修改了车场设置：修改了蓝卡云地址，更换了蓝卡密钥'],
    [{ address: '上海市黄浦区南京东路 1 号' }, '张三 修改了车场设置：车场地址改为「上海市黄浦区南京东路 1 号」'],
    [{ address: '', phone: '' }, '张三 修改了车场设置：清空了服务电话，清空了车场地址'],
    [{ withholdingMaxPerDeductionFen: 15000, withholdingMaxPerDayFen: 30000 }, '张三 修改了车场设置：无感支付单笔上限改为 ¥150.00，无感支付每日上限改为 ¥300.00'],
  ],
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId': [
    [{ passagewayId: '2', laneName: '东门出口', name: '东门出口', direction: 'out' }, '张三 修改了「东门出口」：显示名称改为「东门出口」，方向改为出口'],
    [{ passagewayId: '2', laneName: '东门出口', name: null, direction: null, note: null }, '张三 修改了「东门出口」：显示名称恢复为车场的名称，方向改为按区域自动判断，清空了备注'],
  ],
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests': [
    [{ passagewayId: '2', laneName: '东门出口', reason: '访客车辆，保安确认放行' }, '张三 申请远程抬起「东门出口」的道闸（原因：访客车辆，保安确认放行）'],
  ],
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift': [
    [{ passagewayId: '2', laneName: '东门出口', reason: '访客车辆，保安确认放行' }, '张三 远程抬起了「东门出口」的道闸（原因：访客车辆，保安确认放行）'],
  ],
  'POST /api/op/parks/:parkNumber/coupons': [
    [{ couponCode: 'PPC1', plate: '京A12345', kind: 'hours', minutes: 120, status: 'at_lot' }, '张三 为 京A12345 发放 2 小时停车券（车场已接收）'],
    [{ couponCode: 'PPC2', plate: '京A12345', kind: 'money', fen: 500, status: 'refused', refusal: '车辆不在场' }, '张三 为 京A12345 发放 ¥5.00 停车券（车场拒绝：车辆不在场）'],
    [{ plate: '京A12345', kind: 'hours', minutes: 90, status: 'unconfirmed' }, '张三 为 京A12345 发放 1 小时 30 分钟停车券（车场未确认，将自动重发）'],
  ],
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/revoke': [
    [{ couponCode: 'PPC1', plate: '京A12345', kind: 'hours', minutes: 30, status: 'revoked' }, '张三 撤销了 京A12345 的 30 分钟停车券'],
  ],
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/redeliver': [
    [{ couponCode: 'PPC1', plate: '京A12345', kind: 'money', fen: 200, status: 'at_lot' }, '张三 重新发送了 京A12345 的 ¥2.00 停车券（车场已接收）'],
  ],
  'POST /api/op/parks/:parkNumber/fixed-coupons': [
    [{ code: 'PPQ1234567890', kind: 'hours', minutes: 120, maxUses: 100, label: '影院', end: '2026-12-31T15:59:00.000Z' }, '张三 生成了固定券码 PPQ1234567890（2 小时停车券，最多 100 次，2026-12-31 23:59 前有效）：影院'],
    [{ code: 'PPQ1234567891', kind: 'money', fen: 1000 }, '张三 生成了固定券码 PPQ1234567891（¥10.00 停车券，次数不限）'],
  ],
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/disable': [[{ code: 'PPQ1234567890', label: '影院' }, '张三 停用了固定券码 PPQ1234567890（影院）']],
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/enable': [[{ code: 'PPQ1234567890' }, '张三 启用了固定券码 PPQ1234567890']],
  'POST /api/op/parks/:parkNumber/lists/:list': [
    [{ list: 'white', plate: '京A12345', created: true, syncState: 'synced', syncError: null }, '张三 把 京A12345 加入白名单（车场已同步）'],
    [{ list: 'black', plate: '京B66666', created: false, syncState: 'refused', syncError: '车牌格式错误' }, '张三 修改了黑名单中的 京B66666（车场拒绝：车牌格式错误）'],
  ],
  'DELETE /api/op/parks/:parkNumber/lists/:list/:plate': [[{ list: 'black', plate: '京B66666' }, '张三 从黑名单删除了 京B66666']],
  'POST /api/op/parks/:parkNumber/lists/:list/clear': [[{ list: 'white', count: 12 }, '张三 申请删除白名单的全部 12 条记录']],
  'POST /api/op/parks/:parkNumber/lists/:list/clear/confirm': [[{ list: 'white', removed: 12 }, '张三 删除了白名单的全部记录（12 条）']],
  'POST /api/op/parks/:parkNumber/lists/:list/imports': [
    [{ list: 'white', jobId: 'LJ1', rows: 62, invalid: 1 }, '张三 向白名单导入 CSV（62 行，其中 1 行格式错误）'],
    [{ list: 'black', jobId: 'LJ2', rows: 3, invalid: 0 }, '张三 向黑名单导入 CSV（3 行）'],
  ],
  'POST /api/op/parks/:parkNumber/lists/:list/resync': [[{ list: 'white', jobId: 'LJ3', rows: 5 }, '张三 重新发送白名单中车场未确认的记录（5 条）']],
  'POST /api/op/parks/:parkNumber/booking-offers': [
    [{ offerId: 'OF1', title: '演示预约', count: 3, priceFen: 800, areaId: 0 }, '张三 上架了预约产品「演示预约」（3 个车位，每个 ¥8.00）'],
  ],
  'POST /api/op/parks/:parkNumber/pass-offer': [
    [{ status: 'on_sale', prices: [{ months: 1, priceFen: 30_000 }, { months: 3, priceFen: 85_000 }], areaIds: [1, 2], newPlates: true, maxPasses: 100 }, '张三 设置了线上月卡（1 个月 ¥300.00，3 个月 ¥850.00）'],
    [{ status: 'withdrawn', prices: [{ months: 1, priceFen: 30_000 }] }, '张三 停售了线上月卡'],
  ],
  'POST /api/op/parks/:parkNumber/booking-offers/:offerId/withdraw': [[{ offerId: 'OF1', title: '演示预约' }, '张三 下架了预约产品「演示预约」']],
  'POST /api/op/parks/:parkNumber/bookings/:bookingNo/cancel': [
    [{ bookingNo: 'BK123456', plate: '浙A30001', reason: '车主电话要求' }, '张三 取消了 浙A30001 的预约并全额退款（原因：车主电话要求）'],
    [{ bookingNo: 'BK123456' }, '张三 取消了预约 BK123456并全额退款'],
  ],
  'POST /api/op/parks/:parkNumber/bookings/reconcile': [
    [{ differences: 0 }, '张三 与车场核对了预约（没有差异）'],
    [{ differences: 2 }, '张三 与车场核对了预约（2 条差异）'],
  ],
  'POST /api/op/parks/:parkNumber/invoices/:invoiceId/resend': [[{ invoiceId: 'IV123456' }, '张三 重新发送了电子发票 IV123456']],
};

/** Machine text an operator must not read in a sentence (park numbers are data: the demo's has underscores). */
const MACHINE = /\/api\/|:[a-z]+[A-Z]|[a-z]+_[a-z]+|is not a|undefined|null|NaN|\[object/;
const withoutParks = (s: string) => s.replace(/p_demo_001|p_new|p_x/g, '');

describe('audit sentences', () => {
  it('every operator endpoint that changes something is an audited action with a sentence', () => {
    const changing: string[] = [];
    // The e-invoice contracts are not in the index: read them too.
    for (const value of [...Object.values(allApi), ...Object.values(invoiceApi)]) {
      if (!value || typeof value !== 'object') continue;
      for (const e of Object.values(value as Record<string, EndpointDef>)) {
        if (e && typeof e === 'object' && e.auth === 'operator' && e.method !== 'GET') changing.push(`${e.method} ${e.path}`);
      }
    }
    expect(changing.length).toBeGreaterThanOrEqual(25);
    for (const a of [...changing, 'POST /api/op/auth/login']) {
      expect([a, (AUDITED_ACTIONS as readonly string[]).includes(a)]).toEqual([a, true]);
      expect([a, (AUDIT_SENTENCE_ACTIONS as string[]).includes(a)]).toEqual([a, true]);
    }
    expect(Object.keys(CASES).sort()).toEqual([...AUDITED_ACTIONS].sort());
  });

  for (const action of AUDITED_ACTIONS) {
    it(`${action}: its sentence from its facts`, () => {
      for (const [facts, sentence] of CASES[action] as [Record<string, unknown>, string][]) {
        const s = auditSentence(entry(action, facts), opErrorTitle);
        expect(s).toBe(sentence);
        expect(withoutParks(s)).not.toMatch(MACHINE);
      }
      // Without facts (an older entry): still a Chinese sentence with no machine text.
      const bare = auditSentence(entry(action, {}));
      expect(bare).toMatch(/^张三 [\u4e00-\u9fff]/);
      expect(bare).not.toMatch(MACHINE);
    });
  }

  it('a refusal says that it did not happen, and why, in the operator’s words', () => {
    const [facts] = CASES['POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift'][0]!;
    expect(auditSentence(entry('POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift', facts, { result: 'error', code: 'lot_unreachable' }), opErrorTitle)).toBe(
      '张三 尝试远程抬起「东门出口」的道闸（原因：访客车辆，保安确认放行），未成功：车场系统暂时连不上',
    );
    expect(auditSentence(entry('POST /api/op/parks/:parkNumber/lists/:list', { list: 'white', plate: 'ABC' }, { result: 'error', code: 'invalid_entry' }), opErrorTitle)).toBe('张三 尝试把 ABC 加入白名单，未成功：名单内容不对');
    expect(auditSentence(entry('POST /api/op/auth/login', {}, { result: 'error', code: 'invalid_credentials', displayName: null }), opErrorTitle)).toBe('zhangsan 登录失败：用户名或密码不对');
    expect(auditSentence(entry('POST /api/op/parks/:parkNumber/coupons', { plate: '京A1', kind: 'hours', minutes: 60 }, { result: 'error', code: 'no_such_code_yet' }), opErrorTitle)).toBe('张三 尝试为 京A1 发放 1 小时停车券，未成功：出错了');
  });

  it('an action the console does not know yet is still a Chinese sentence', () => {
    expect(auditSentence(entry('POST /api/op/parks/:parkNumber/something-new', {}))).toBe('张三 修改了一项设置');
    expect(auditSentence(entry('DELETE /api/op/parks/:parkNumber/things/:id', {}))).toBe('张三 删除了一项设置');
  });

  it('minutes read as days, hours and minutes', () => {
    expect([30, 60, 90, 1440, 1530, 0].map(minutesText)).toEqual(['30 分钟', '1 小时', '1 小时 30 分钟', '1 天', '1 天 1 小时 30 分钟', '0 分钟']);
  });
});
