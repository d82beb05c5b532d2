import { render, screen, within } from '@testing-library/react';
import { createBody, editBody, editFormOf, EMPTY_NEW_OPERATOR, passwordProblem } from '../../../miniapp/src/packages/op/accounts/form';
import OpAccountsPage from '../../../miniapp/src/packages/op/accounts/index';
import OpLoginPage from '../../../miniapp/src/packages/op/login/index';
import OpParksPage from '../../../miniapp/src/packages/op/parks/index';
import { lockHint } from '../../../miniapp/src/packages/op/services/errors';
import { opSession } from '../../../miniapp/src/packages/op/services/session';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, operator, opLoggedIn, park } from './support';
import { see, tap, type } from '../support/ui';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: {} }));
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;
const btn = (sel: string) => $(sel) as HTMLElement & { disabled?: boolean };

function account(over: Record<string, unknown> = {}) {
  return { ...operator('operator', ['p_demo_001']), id: 'op_2', username: 'lot-a.zhang', displayName: '张三', ...over };
}
const ADMIN = { ...operator('admin'), id: 'op_1' };

describe('account form rules (as the server checks them)', () => {
  it('passwords: 10–128 characters, 4 different ones, not the username', () => {
    expect(passwordProblem('short', 'x')).toMatch('10');
    expect(passwordProblem('aaaaaaaaaabbb', 'x')).toMatch('4 种');
    expect(passwordProblem('zz-Lot-A.zhang-9', 'lot-a.zhang')).toMatch('用户名');
    expect(passwordProblem('x'.repeat(129), 'y')).toMatch('128');
    expect(passwordProblem('Parking-2026!', 'lot-a.zhang')).toBeUndefined();
  });

  it('create: username lower-cased, parks for operators and merchants, none sent for admins', () => {
    const f = { ...EMPTY_NEW_OPERATOR, username: ' Lot-A.Zhang ', password: 'Parking-2026!', parks: ['p1', 'p1'] };
    expect(createBody(f)).toEqual({ body: { username: 'lot-a.zhang', password: 'Parking-2026!', role: 'operator', parks: ['p1'] } });
    expect(createBody({ ...f, parks: [] })).toEqual({ error: '请至少选择一个车场' });
    expect(createBody({ ...f, role: 'admin', parks: [], displayName: ' 李四 ' })).toEqual({ body: { username: 'lot-a.zhang', password: 'Parking-2026!', role: 'admin', displayName: '李四' } });
    expect(createBody({ ...f, username: 'ab' })).toHaveProperty('error');
    expect(createBody({ ...f, password: 'lot-a.zhang-pw' })).toEqual({ error: '密码不能包含用户名' });
  });

  it('edit: only what changed; parks go with a role change; an empty name clears it', () => {
    const o = account();
    expect(editBody(o, editFormOf(o))).toEqual({ body: undefined });
    expect(editBody(o, { ...editFormOf(o), parks: ['p_demo_001', 'p_two'] })).toEqual({ body: { parks: ['p_demo_001', 'p_two'] } });
    expect(editBody(o, { ...editFormOf(o), role: 'merchant' })).toEqual({ body: { role: 'merchant', parks: ['p_demo_001'] } });
    expect(editBody(o, { ...editFormOf(o), role: 'admin' })).toEqual({ body: { role: 'admin' } });
    expect(editBody(o, { ...editFormOf(o), displayName: ' ' })).toEqual({ body: { displayName: null } });
    expect(editBody(o, { ...editFormOf(o), parks: [] })).toEqual({ error: '请至少选择一个车场' });
  });
});

describe('login lock-out', () => {
  const locked = (details?: unknown, message = 'too many failed logins') => ({ code: 'login_locked', message, details });
  it('says when to try again from the server’s answer, not a fixed time', () => {
    const now = Date.parse('2026-11-28T02:00:00.000Z'); // 10:00 China time
    expect(lockHint(locked({ retryAfterSeconds: 420, lockedUntil: '2026-11-28T02:07:00.000Z' }), now)).toBe('请 7 分钟后再试（约 10:07 解锁）。');
    expect(lockHint(locked({ retryAfterSeconds: 45 }), now)).toBe('请 45 秒后再试（约 10:00 解锁）。');
    expect(lockHint(locked({ lockedUntil: '2026-11-28T02:03:00.000Z' }), now)).toBe('请 3 分钟后再试（约 10:03 解锁）。');
    expect(lockHint(locked(undefined, 'this username is locked for 12 more minutes; try again after that'), now)).toBe('请 12 分钟后再试（约 10:12 解锁）。');
    expect(lockHint(locked(undefined, 'locked'), now)).toBe('请稍后再试。');
  });

  it('the login page shows the server’s retry time', async () => {
    fakeApi({ 'POST /api/op/auth/login': { status: 429, data: { error: { code: 'login_locked', message: 'locked for 4 more minutes', details: { retryAfterSeconds: 200 } } } } });
    render(<OpLoginPage />);
    await type($('.op-username'), 'demo-admin');
    await type($('.op-password'), 'nope');
    await tap(screen.getByText('登录'));
    await see('密码错误次数太多，账号暂时锁定');
    expect(screen.getByText(/^请 4 分钟后再试（约 \d\d:\d\d 解锁）。$/)).toBeTruthy();
    expect(screen.queryByText(/15 分钟/)).toBeNull();
    expect(opSession()).toBeUndefined();
  });
});

describe('accounts page', () => {
  it('an admin lists the accounts and creates a park operator for one park', async () => {
    opLoggedIn('admin');
    const api = fakeApi({
      'GET /api/op/me': { data: ADMIN },
      'GET /api/op/operators': { data: { operators: [ADMIN] } },
      'GET /api/op/parks': { data: { parks: [park(), park({ parkNumber: 'p_two', name: '第二车场' })] } },
      'POST /api/op/operators': { data: account({ lastLoginAt: null }) },
    });
    render(<OpAccountsPage />);
    await see('账号管理');
    await see('从未登录');
    expect(within($('#operator-demo-admin')).getByText('我')).toBeTruthy();
    // Own account: no disable offered.
    expect(within($('#operator-demo-admin')).queryByText('停用')).toBeNull();
    await type($('.op-new-username'), 'Lot-A.Zhang');
    await type($('.op-new-display-name'), '张三');
    await tap(within($('.op-new-role')).getByText('车场管理员'));
    await type($('.op-new-password-initial'), 'Parking-2026!');
    await see('请至少选择一个车场');
    expect(btn('.op-create-operator').disabled).toBe(true);
    await tap(await see('示例停车场（p_demo_001）'));
    await tap($('.op-create-operator'));
    await see('已创建 lot-a.zhang（车场管理员）');
    expect(api.calls('POST /api/op/operators')[0]!.body).toEqual({ username: 'lot-a.zhang', password: 'Parking-2026!', role: 'operator', parks: ['p_demo_001'], displayName: '张三' });
    expect(api.calls('POST /api/op/operators')[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(within($('#operator-lot-a\\.zhang')).getByText('p_demo_001')).toBeTruthy();
  });

  it('an admin edits role and parks, resets a password, disables after a confirmation; the server’s refusals are said', async () => {
    opLoggedIn('admin');
    const api = fakeApi({
      'GET /api/op/me': { data: ADMIN },
      'GET /api/op/operators': { data: { operators: [ADMIN, account()] } },
      'GET /api/op/parks': { data: { parks: [park(), park({ parkNumber: 'p_two', name: '第二车场' })] } },
      'POST /api/op/operators/op_2': [
        { data: account({ role: 'merchant', parks: ['p_demo_001', 'p_two'] }) },
        { status: 400, data: { error: { code: 'weak_password', message: 'a password needs at least 4 different characters' } } },
        { data: account({ role: 'merchant', parks: ['p_demo_001', 'p_two'] }) },
        { data: account({ role: 'merchant', parks: ['p_demo_001', 'p_two'], disabled: true }) },
      ],
    });
    render(<OpAccountsPage />);
    const row = () => $('#operator-lot-a\\.zhang');
    await see(/张三/);
    await tap(within(row()).getByText('修改'));
    await tap(within($('.op-edit-role')).getByText('商户'));
    await tap(within(row()).getByText('第二车场（p_two）'));
    await see('保存后，这个账号需要重新登录。');
    await tap($('.op-operator-save'));
    await see('lot-a.zhang 已保存');
    expect(api.calls('POST /api/op/operators/op_2')[0]!.body).toEqual({ role: 'merchant', parks: ['p_demo_001', 'p_two'] });
    expect(within(row()).getByText('商户')).toBeTruthy();

    await tap(within(row()).getByText('重置密码'));
    await type($('.op-reset-password-input'), 'short');
    expect(btn('.op-reset-password-save').disabled).toBe(true);
    await type($('.op-reset-password-input'), 'Parking-2027!');
    await tap($('.op-reset-password-save'));
    await see('新密码太简单'); // the server has the last word
    await tap($('.op-reset-password-save'));
    await see('lot-a.zhang 的密码已重置');
    expect(api.calls('POST /api/op/operators/op_2')[2]!.body).toEqual({ password: 'Parking-2027!' });

    await tap(within(row()).getByText('停用'));
    expect(api.calls('POST /api/op/operators/op_2')).toHaveLength(3); // not before the confirmation
    await tap(screen.getByText('确认停用'));
    await see('lot-a.zhang 已停用');
    expect(api.calls('POST /api/op/operators/op_2')[3]!.body).toEqual({ disabled: true });
    expect(within(row()).getByText('已停用')).toBeTruthy();
    expect(within(row()).getByText('启用')).toBeTruthy();
  });

  it('a merchant sees only their own account and the password change; no operator list is asked for', async () => {
    opLoggedIn('merchant');
    const api = fakeApi({
      'GET /api/op/me': { data: { ...operator('merchant', ['p_demo_001']), username: 'shop-1', displayName: '咖啡店' } },
      'POST /api/op/me/password': [
        { status: 400, data: { error: { code: 'invalid_credentials', message: 'the current password is wrong' } } },
        { data: { ok: true } },
      ],
    });
    render(<OpAccountsPage />);
    await see('修改我的密码');
    await see('shop-1（咖啡店） · 商户');
    await see('可管理的车场：p_demo_001');
    expect(screen.queryByText('全部账号')).toBeNull();
    expect(screen.queryByText('新建账号')).toBeNull();
    expect(api.calls('GET /api/op/operators')).toHaveLength(0);

    await type($('.op-current-password'), 'wrong-one');
    await type($('.op-new-password'), 'Shop-2026-new');
    await type($('.op-new-password-again'), 'Shop-2026-neW');
    await see('两次输入的新密码不一样');
    expect(btn('.op-change-password').disabled).toBe(true);
    await type($('.op-new-password-again'), 'Shop-2026-new');
    await tap($('.op-change-password'));
    await see('当前密码不对');
    expect(opSession()).toBeDefined(); // a wrong current password does not end the session
    await type($('.op-current-password'), 'Shop-2026-old');
    await tap($('.op-change-password'));
    await see('密码已修改；其他设备上的登录已退出');
    expect(api.calls('POST /api/op/me/password')[1]!.body).toEqual({ currentPassword: 'Shop-2026-old', newPassword: 'Shop-2026-new' });
  });

  it('the stored session says admin but the server refuses the list (403): said plainly', async () => {
    opLoggedIn('admin');
    fakeApi({
      'GET /api/op/me': { data: ADMIN },
      'GET /api/op/operators': { status: 403, data: { error: { code: 'forbidden_role', message: 'admins only' } } },
      'GET /api/op/parks': { data: { parks: [park()] } },
    });
    render(<OpAccountsPage />);
    await see('当前角色不能做这个操作');
  });

  it('the parks page links to the accounts: “账号管理” for admins, “我的账号” for others', async () => {
    opLoggedIn('merchant');
    fakeApi({ 'GET /api/op/parks': { data: { parks: [park()] } } });
    render(<OpParksPage />);
    await tap(await see('我的账号 · 修改密码'));
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/op/accounts/index' });
    expect(screen.queryByText('操作日志')).toBeNull();
  });
});
