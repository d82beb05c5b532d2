/**
 * Accounts: everyone changes their own password (the other sessions of the account end); admins list the
 * operator accounts, create one (admin / park operator for some parks / merchant for some parks), change
 * its role, parks or name, reset its password, disable or enable it (its sessions end). What a role may
 * not do is not shown; a refusal from the server (403) is still said plainly.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useState, type Dispatch, type SetStateAction } from 'react';
import { opAccountEndpoints, type OperatorRoleName, type OperatorView } from '@shared/api/op-accounts';
import { opParkEndpoints } from '@shared/api/op-parks';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime } from '../../../services/format';
import { Choice, ConfirmBox, Field, Flash, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall, opSession, ROLE_NAMES } from '../services/session';
import { createBody, editBody, editFormOf, EMPTY_NEW_OPERATOR, passwordProblem, togglePark, type EditBody, type EditForm, type NewOperatorForm } from './form';

const ROLES: readonly { value: OperatorRoleName; label: string }[] = [
  { value: 'operator', label: ROLE_NAMES.operator },
  { value: 'merchant', label: ROLE_NAMES.merchant },
  { value: 'admin', label: ROLE_NAMES.admin },
];

const ROLE_HINT: Record<OperatorRoleName, string> = {
  admin: '所有车场、所有功能，包括账号管理',
  operator: '所选车场的全部日常管理',
  merchant: '所选车场：只能发放和查看自己的停车券',
};

/** A failure of the password change: a wrong current password is not a wrong login. */
function passwordError(e: unknown): Err {
  const err = opErrorOf(e);
  return err.code === 'invalid_credentials' ? { ...err, code: 'current_password_wrong' } : err;
}

function MyPassword({ username }: { username: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [done, setDone] = useState(false);
  const problem = next ? (passwordProblem(next, username) ?? (again && again !== next ? '两次输入的新密码不一样' : undefined)) : undefined;
  const ready = Boolean(current && next && again === next && !problem);
  const save = async () => {
    if (!ready || busy) return;
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await opCall(opAccountEndpoints.changePassword, { body: { currentPassword: current, newPassword: next } });
      setCurrent('');
      setNext('');
      setAgain('');
      setDone(true);
    } catch (e) {
      setError(passwordError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-my-password">
      <Text className="section-title">修改我的密码</Text>
      <Field label="当前密码">
        <Input className="op-input op-current-password" password value={current} onInput={(e) => setCurrent(e.detail.value)} />
      </Field>
      <Field label="新密码（10–128 个字符，至少 4 种不同字符，不含用户名）">
        <Input className="op-input op-new-password" password value={next} onInput={(e) => setNext(e.detail.value)} />
      </Field>
      <Field label="再输入一次新密码">
        <Input className="op-input op-new-password-again" password value={again} onInput={(e) => setAgain(e.detail.value)} onConfirm={save} />
      </Field>
      {problem ? <Text className="muted op-error-text">{problem}</Text> : null}
      <Button className="btn btn-primary op-change-password" disabled={busy || !ready} onClick={save}>
        {busy ? '正在修改…' : '修改密码'}
      </Button>
      {done ? <Flash text="密码已修改；其他设备上的登录已退出" /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

/** Parks to tick (operators and merchants). */
function ParkPicker({ parks, value, onChange }: { parks: readonly { parkNumber: string; name: string | null }[]; value: readonly string[]; onChange: (v: string[]) => void }) {
  // A park an account has that is no longer listed stays visible (and can be taken away).
  const all = [...parks, ...value.filter((p) => !parks.some((x) => x.parkNumber === p)).map((p) => ({ parkNumber: p, name: null }))];
  if (!all.length) return <Text className="muted">还没有车场</Text>;
  return (
    <View className="op-choices op-park-picker">
      {all.map((p) => (
        <Text key={p.parkNumber} className={`op-choice op-pick-${p.parkNumber}${value.includes(p.parkNumber) ? ' op-choice-on' : ''}`} onClick={() => onChange(togglePark(value, p.parkNumber))}>
          {p.name ? `${p.name}（${p.parkNumber}）` : p.parkNumber}
        </Text>
      ))}
    </View>
  );
}

type ParkOption = { parkNumber: string; name: string | null };

function NewOperator({ parks, onCreated }: { parks: readonly ParkOption[]; onCreated: (o: OperatorView) => void }) {
  const [form, setForm] = useState<NewOperatorForm>(EMPTY_NEW_OPERATOR);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [created, setCreated] = useState<OperatorView | undefined>();
  const set = <K extends keyof NewOperatorForm>(k: K, v: NewOperatorForm[K]) => {
    setCreated(undefined);
    setForm((f) => ({ ...f, [k]: v }));
  };
  const checked = createBody(form);
  const filled = Boolean(form.username.trim() && form.password);
  const create = async () => {
    if (!('body' in checked) || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const o = await opCall(opAccountEndpoints.createOperator, { body: checked.body });
      setCreated(o);
      setForm(EMPTY_NEW_OPERATOR);
      onCreated(o);
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-new-operator">
      <Text className="section-title">新建账号</Text>
      <Field label="用户名（登录用）">
        <Input className="op-input op-new-username" value={form.username} maxlength={64} placeholder="例如 lot-a.zhang" onInput={(e) => set('username', e.detail.value)} />
      </Field>
      <Field label="姓名（可选）">
        <Input className="op-input op-new-display-name" value={form.displayName} maxlength={64} onInput={(e) => set('displayName', e.detail.value)} />
      </Field>
      <Field label="角色">
        <Choice className="op-new-role" value={form.role} options={ROLES} onChange={(r) => set('role', r)} />
        <Text className="muted">{ROLE_HINT[form.role]}</Text>
      </Field>
      {form.role !== 'admin' ? (
        <Field label="可管理的车场">
          <ParkPicker parks={parks} value={form.parks} onChange={(p) => set('parks', p)} />
        </Field>
      ) : null}
      <Field label="初始密码（告诉对方，请对方登录后修改）">
        <Input className="op-input op-new-password-initial" password value={form.password} onInput={(e) => set('password', e.detail.value)} />
      </Field>
      {filled && 'error' in checked ? <Text className="muted op-error-text">{checked.error}</Text> : null}
      <Button className="btn btn-primary op-create-operator" disabled={busy || !('body' in checked)} onClick={create}>
        {busy ? '正在创建…' : '创建账号'}
      </Button>
      {created ? <Flash text={`已创建 ${created.username}（${ROLE_NAMES[created.role]}）`} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

type Mode = 'view' | 'edit' | 'password' | 'disable';

type Send = (body: EditBody & { disabled?: boolean; password?: string }, done: string) => Promise<void>;

/** One account's row: which form is open (each opens fresh), and sending its change. */
function useOperatorRow(o: OperatorView, onChanged: (o: OperatorView) => void) {
  const [mode, setMode] = useState<Mode>('view');
  const [form, setForm] = useState<EditForm>(editFormOf(o));
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [flash, setFlash] = useState<string | undefined>();
  const open = (m: Mode) => {
    setMode(m);
    setError(undefined);
    setFlash(undefined);
    setForm(editFormOf(o));
    setPassword('');
  };
  const send: Send = async (body, done) => {
    setBusy(true);
    setError(undefined);
    try {
      const after = await opCall(opAccountEndpoints.updateOperator, { params: { operatorId: o.id }, body });
      onChanged(after);
      setMode('view');
      setFlash(done);
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { mode, open, form, setForm, password, setPassword, busy, error, flash, send };
}

/** The account as listed, with what can be done to it (nobody disables themselves). */
function OperatorLine({ o, self, mode, busy, open, send }: { o: OperatorView; self: boolean; mode: Mode; busy: boolean; open: (m: Mode) => void; send: Send }) {
  const parkNames = o.role === 'admin' ? '全部车场' : o.parks.join('、');
  return (
    <View className="op-tr">
      <Text className="op-td op-operator-name">
        {o.username}
        {o.displayName ? `（${o.displayName}）` : ''}
        {self ? <Text className="op-badge">我</Text> : null}
        {o.disabled ? <Text className="op-badge op-badge-warn">已停用</Text> : null}
      </Text>
      <Text className="op-td op-operator-role">{ROLE_NAMES[o.role]}</Text>
      <Text className="op-td op-operator-parks">{parkNames}</Text>
      <Text className="op-td op-nowrap">{o.lastLoginAt ? dateTime(o.lastLoginAt) : '从未登录'}</Text>
      <View className="op-td op-td-wide op-actions">
        {mode === 'view' ? (
          <>
            <Button className="btn btn-secondary btn-small op-operator-edit" onClick={() => open('edit')}>
              修改
            </Button>
            <Button className="btn btn-secondary btn-small op-operator-reset" onClick={() => open('password')}>
              重置密码
            </Button>
            {self ? null : o.disabled ? (
              <Button className="btn btn-secondary btn-small op-operator-enable" disabled={busy} onClick={() => send({ disabled: false }, `${o.username} 已启用`)}>
                启用
              </Button>
            ) : (
              <Button className="btn btn-secondary btn-small op-operator-disable" onClick={() => open('disable')}>
                停用
              </Button>
            )}
          </>
        ) : null}
      </View>
    </View>
  );
}

/** Changing the account's name, role and parks (a change of role or parks ends its logins). */
function EditOperator({ o, self, parks, form, setForm, busy, open, send }: { o: OperatorView; self: boolean; parks: readonly ParkOption[]; form: EditForm; setForm: Dispatch<SetStateAction<EditForm>>; busy: boolean; open: (m: Mode) => void; send: Send }) {
  const edit = editBody(o, form);
  return (
    <View className="op-edit-operator">
      <Field label="姓名">
        <Input className="op-input op-edit-display-name" value={form.displayName} maxlength={64} onInput={(e) => setForm((f) => ({ ...f, displayName: e.detail.value }))} />
      </Field>
      <Field label="角色">
        {/* Someone must stay admin: one's own role is not offered for change. */}
        {self ? <Text>{ROLE_NAMES[o.role]}</Text> : <Choice className="op-edit-role" value={form.role} options={ROLES} onChange={(r) => setForm((f) => ({ ...f, role: r }))} />}
      </Field>
      {form.role !== 'admin' ? (
        <Field label="可管理的车场">
          <ParkPicker parks={parks} value={form.parks} onChange={(p) => setForm((f) => ({ ...f, parks: p }))} />
        </Field>
      ) : null}
      {'error' in edit ? <Text className="muted op-error-text">{edit.error}</Text> : null}
      {'body' in edit && edit.body && (edit.body.role || edit.body.parks) ? <Text className="muted">保存后，这个账号需要重新登录。</Text> : null}
      <View className="op-actions">
        <Button className="btn btn-primary op-operator-save" disabled={busy || !('body' in edit) || !edit.body} onClick={() => 'body' in edit && edit.body && send(edit.body, `${o.username} 已保存`)}>
          {busy ? '正在保存…' : '保存'}
        </Button>
        <Button className="btn btn-secondary" disabled={busy} onClick={() => open('view')}>
          取消
        </Button>
      </View>
    </View>
  );
}

/** Setting a new password for the account (its logins end). */
function ResetPassword({ o, password, setPassword, busy, open, send }: { o: OperatorView; password: string; setPassword: (p: string) => void; busy: boolean; open: (m: Mode) => void; send: Send }) {
  const pwProblem = password ? passwordProblem(password, o.username) : undefined;
  return (
    <View className="op-reset-password">
      <Field label={`${o.username} 的新密码（其登录将全部退出）`}>
        <Input className="op-input op-reset-password-input" password value={password} onInput={(e) => setPassword(e.detail.value)} />
      </Field>
      {pwProblem ? <Text className="muted op-error-text">{pwProblem}</Text> : null}
      <View className="op-actions">
        <Button className="btn btn-primary op-reset-password-save" disabled={busy || !password || Boolean(pwProblem)} onClick={() => send({ password }, `${o.username} 的密码已重置`)}>
          {busy ? '正在重置…' : '重置密码'}
        </Button>
        <Button className="btn btn-secondary" disabled={busy} onClick={() => open('view')}>
          取消
        </Button>
      </View>
    </View>
  );
}

function OperatorRow({ o, self, parks, onChanged }: { o: OperatorView; self: boolean; parks: readonly ParkOption[]; onChanged: (o: OperatorView) => void }) {
  const row = useOperatorRow(o, onChanged);
  const { mode, open, busy, send } = row;
  return (
    <View className={`op-operator${o.disabled ? ' op-operator-disabled' : ''}`} id={`operator-${o.username}`}>
      <OperatorLine o={o} self={self} mode={mode} busy={busy} open={open} send={send} />
      {mode === 'edit' ? <EditOperator o={o} self={self} parks={parks} form={row.form} setForm={row.setForm} busy={busy} open={open} send={send} /> : null}
      {mode === 'password' ? <ResetPassword o={o} password={row.password} setPassword={row.setPassword} busy={busy} open={open} send={send} /> : null}
      {mode === 'disable' ? (
        <ConfirmBox prompt={`停用 ${o.username}？停用后不能再登录，正在使用的登录立即失效。`} confirmText="确认停用" busy={busy} onConfirm={() => send({ disabled: true }, `${o.username} 已停用`)} onCancel={() => open('view')} />
      ) : null}
      {row.flash ? <Flash text={row.flash} /> : null}
      {row.error ? <OpError error={row.error} /> : null}
    </View>
  );
}

function Operators({ selfId }: { selfId: string }) {
  const list = useLoader(() => opCall(opAccountEndpoints.listOperators, {}), []);
  const parkList = useLoader(() => opCall(opParkEndpoints.listParks, {}), []);
  const parks: ParkOption[] = parkList.state === 'ok' ? parkList.data.parks.map((p) => ({ parkNumber: p.parkNumber, name: p.name })) : [];
  const put = (o: OperatorView) => {
    if (list.state !== 'ok') return list.reload();
    const known = list.data.operators.some((x) => x.id === o.id);
    list.set({ operators: known ? list.data.operators.map((x) => (x.id === o.id ? o : x)) : [...list.data.operators, o] });
  };
  return (
    <>
      {parkList.state === 'error' ? <OpError error={parkList.error} onRetry={parkList.reload} /> : null}
      <NewOperator parks={parks} onCreated={put} />
      <View className="card op-operators">
        <Text className="section-title">全部账号</Text>
        {list.state === 'loading' ? <Loading /> : null}
        {list.state === 'error' ? <OpError error={list.error} onRetry={list.reload} /> : null}
        {list.state === 'ok' ? (
          <OpTable head={['账号', '角色', '车场', '上次登录', ['', 'wide']]} minWidth={1300} className="op-operator-list">
            {list.data.operators.map((o) => (
              <OperatorRow key={o.id} o={o} self={o.id === selfId} parks={parks} onChanged={put} />
            ))}
          </OpTable>
        ) : null}
      </View>
    </>
  );
}

export default function OpAccountsPage() {
  // Who the server says this is now (the stored session may be older than a role change).
  const me = useLoader(() => opCall(opAccountEndpoints.me, {}), []);
  const stored = opSession()?.operator;
  const who = me.state === 'ok' ? me.data : stored;
  return (
    <OpPage title={who?.role === 'admin' ? '账号管理' : '我的账号'} className="op-accounts">
      {me.state === 'error' ? <OpError error={me.error} onRetry={me.reload} /> : null}
      {who ? (
        <View className="card op-me">
          <Text className="section-title">我的账号</Text>
          <Text className="op-me-line">
            {who.username}
            {who.displayName ? `（${who.displayName}）` : ''} · {ROLE_NAMES[who.role]}
          </Text>
          <Text className="muted op-me-parks">{who.role === 'admin' ? '可管理全部车场' : `可管理的车场：${who.parks.join('、') || '无'}`}</Text>
        </View>
      ) : null}
      {/* Admins come here mostly for the others' accounts: those first. */}
      {me.state === 'ok' && me.data.role === 'admin' ? <Operators selfId={me.data.id} /> : null}
      {who ? <MyPassword username={who.username} /> : null}
    </OpPage>
  );
}
