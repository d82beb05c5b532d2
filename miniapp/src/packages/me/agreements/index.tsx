/**
 * 无感支付: each bound plate's withholding agreements (WeChat Pay's parking service, Alipay), sign up, confirm
 * after coming back from the provider, end. Lanes then take the fee without the driver stopping (4.16, 4.27).
 */
import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import { agreementEndpoints, type AgreementProvider, type AgreementScopeInput, type AgreementView, type PlateAgreementsView } from '@shared/api/agreements';
import { parkEndpoints } from '@shared/api/parks';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import '../../../components/driver.css';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { lastPark } from '../../../services/memory';
import { askConsent, prepareConsent } from '../../../services/consent';
import { platform } from '../../../services/platform';
import { go, param } from '../../../services/routes';
import { openSignup } from './signup';

const PROVIDER: Record<AgreementProvider, string> = { wechat: '微信支付', alipay: '支付宝' };
const STATE: Record<AgreementView['state'] | 'none', string> = {
  none: '未开通',
  signing: '签约中',
  active: '已开通',
  paused: '已暂停',
  ended: '已解约',
};
/** What the agreement codes mean to the driver (others: the message as the server wrote it). */
const ERRORS: Record<string, string> = {
  plate_not_bound: '请先绑定这个车牌',
  agreement_active: '这个车牌已经开通了',
  wallet_not_linked: '请用微信登录后再开通微信无感支付',
  provider_unavailable: '暂不支持这种签约方式',
  provider_unreachable: '支付服务暂时连不上，请稍后重试',
  park_unknown: '找不到这个停车场，请重新扫描车道码',
};

/** Where an agreement lets lanes take the fee, as the driver reads it. */
const scopeText = (a: AgreementView) => (a.scope.kind === 'park' ? `仅限 ${a.scope.parkName}` : '所有停车场');

type Data = { plates: PlateAgreementsView[]; offered: AgreementProvider[] };

/** The data with one agreement replaced (or added to its plate). */
function withAgreement(data: Data, a: AgreementView): Data {
  return {
    ...data,
    plates: data.plates.map((p) =>
      p.plateKey !== a.plateKey ? p : { ...p, agreements: [...p.agreements.filter((x) => x.id !== a.id && x.provider !== a.provider), a] },
    ),
  };
}

type Tone = 'info' | 'ok' | 'warn';

interface AgreementActions {
  /** The key of the action under way (one at a time): its button spins, the others wait. */
  busy: string | undefined;
  confirm: (id: string) => Promise<void>;
  signup: (plateKey: string, provider: AgreementProvider, scope: AgreementScopeInput) => Promise<void>;
  end: (id: string) => Promise<void>;
}

/** The driver's agreements and what they can do with them: one action at a time, each ending in a notice. */
function useAgreements() {
  const list = useLoader(() => call(agreementEndpoints.list, {}), []);
  useEffect(() => void prepareConsent(), []);
  const [busy, setBusy] = useState<string | undefined>();
  const [notice, setNotice] = useState<{ title: string; text: string; tone: Tone } | undefined>();
  /** Sign-ups opened from here: confirmed when the page shows again (the driver comes back). */
  const opened = useRef(new Set<string>());
  const dataRef = useRef<Data | undefined>(undefined);
  dataRef.current = list.state === 'ok' ? list.data : undefined;

  const update = (a: AgreementView) => {
    if (dataRef.current) list.set(withAgreement(dataRef.current, a));
  };

  const run = async (key: string, f: () => Promise<void>) => {
    setBusy(key);
    setNotice(undefined);
    try {
      await f();
    } catch (e) {
      const err = errorOf(e);
      if (err.code === 'end_with_provider') setNotice({ title: '请在微信中解约', text: err.message, tone: 'info' });
      else setNotice({ title: ERRORS[err.code] ?? '操作没有成功', text: ERRORS[err.code] ? '' : err.message, tone: 'warn' });
    } finally {
      setBusy(undefined);
    }
  };

  const confirm = (id: string) =>
    run(`confirm:${id}`, async () => {
      const { agreement } = await call(agreementEndpoints.confirm, { params: { agreementId: id }, body: {} });
      update(agreement);
      if (agreement.state !== 'signing') opened.current.delete(id);
      if (agreement.state === 'active') setNotice({ title: `${agreement.plate} 已开通${PROVIDER[agreement.provider]}无感支付`, text: '出场时将自动扣费，无需停车缴费。', tone: 'ok' });
    });

  const signup = (plateKey: string, provider: AgreementProvider, scope: AgreementScopeInput) =>
    run(`signup:${plateKey}:${provider}`, async () => {
      // Signing up is when WeChat lets us ask for message consent (deductions, entry, refunds).
      await askConsent('agreement');
      const p = platform();
      const { agreement, signup: start } = await call(agreementEndpoints.signup, {
        body: { plateKey, provider, scope, ...(p === 'h5' ? { returnUrl: window.location.href } : {}) },
      });
      update(agreement);
      const out = await openSignup(start, p);
      if (out.kind === 'opened') opened.current.add(agreement.id);
      else setNotice({ title: '无法在这里签约', text: out.message, tone: 'warn' });
    });

  const end = (id: string) =>
    run(`end:${id}`, async () => {
      const { agreement } = await call(agreementEndpoints.end, { params: { agreementId: id }, body: {} });
      update(agreement);
      setNotice({ title: `${agreement.plate} 已解约`, text: '', tone: 'ok' });
    });

  // Back from WeChat's parking-service mini-program or Alipay's page: ask how it stands now.
  Taro.useDidShow(() => {
    for (const id of opened.current) void confirm(id);
  });

  const actions: AgreementActions = { busy, confirm, signup, end };
  return { list, notice, actions };
}

/** Where the driver is: a sign-up may be limited to this park. */
interface Here {
  parkNumber?: string;
  hereName?: string;
}

/** The buttons one agreement offers in its state: sign up (here only, or everywhere), confirm, continue, refresh, end. */
function AgreementButtons({ plateKey, provider, a, canSign, here, actions }: { plateKey: string; provider: AgreementProvider; a?: AgreementView; canSign: boolean; here: Here; actions: AgreementActions }) {
  const { busy, confirm, signup, end } = actions;
  const { parkNumber, hereName } = here;
  const state = a?.state ?? 'none';
  const signable = (state === 'none' || state === 'ended') && canSign;
  return (
    <View className="agreement-actions">
      {signable && parkNumber && hereName ? (
        <Button className="btn btn-small btn-primary" disabled={busy !== undefined} loading={busy === `signup:${plateKey}:${provider}`} onClick={() => signup(plateKey, provider, { kind: 'park', parkNumber })}>
          仅在{hereName}开通
        </Button>
      ) : null}
      {signable ? (
        <Button className="btn btn-small btn-primary" disabled={busy !== undefined} loading={busy === `signup:${plateKey}:${provider}`} onClick={() => signup(plateKey, provider, { kind: 'all' })}>
          {parkNumber && hereName ? '所有停车场开通' : '开通（所有停车场）'}
        </Button>
      ) : null}
      {state === 'signing' && a ? (
        <>
          <Button className="btn btn-small btn-primary" disabled={busy !== undefined} loading={busy === `confirm:${a.id}`} onClick={() => confirm(a.id)}>
            我已完成签约
          </Button>
          {canSign ? (
            <Button
              className="btn btn-small btn-secondary"
              disabled={busy !== undefined}
              onClick={() => signup(plateKey, provider, a.scope.kind === 'park' ? { kind: 'park', parkNumber: a.scope.parkNumber } : { kind: 'all' })}
            >
              继续签约
            </Button>
          ) : null}
        </>
      ) : null}
      {state === 'paused' && a ? (
        <Button className="btn btn-small btn-secondary" disabled={busy !== undefined} loading={busy === `confirm:${a.id}`} onClick={() => confirm(a.id)}>
          刷新
        </Button>
      ) : null}
      {(state === 'active' || state === 'paused') && a ? (
        <Button className="btn btn-small btn-secondary" disabled={busy !== undefined} loading={busy === `end:${a.id}`} onClick={() => end(a.id)}>
          解约
        </Button>
      ) : null}
    </View>
  );
}

/** One plate's agreements, a row per provider offered or already agreed with. */
function PlateAgreements({ p, offered, here, actions }: { p: PlateAgreementsView; offered: AgreementProvider[]; here: Here; actions: AgreementActions }) {
  const providers = [...new Set<AgreementProvider>([...offered, ...p.agreements.map((a) => a.provider)])];
  return (
    <View className="card agreement-plate">
      <View>
        <Text className="plate-text">{p.plate}</Text>
        {!p.bound ? <Text className="muted"> 已解绑</Text> : null}
      </View>
      {providers.map((provider) => {
        const a = p.agreements.find((x) => x.provider === provider);
        const state = a?.state ?? 'none';
        const key = `${p.plateKey}:${provider}`;
        return (
          <View key={provider} className={`agreement agreement-${state}`} id={`agreement-${key}`}>
            {/* Name and state on one line; what follows below it (a row squeezed them one character a line). */}
            <View className="agreement-head">
              <Text className="agreement-name">{PROVIDER[provider]}</Text>
              <Text className={`chip chip-${state}`}>{STATE[state]}</Text>
            </View>
            {a?.state === 'active' && a.signedAt ? <Text className="muted">开通于 {dateTime(a.signedAt)}</Text> : null}
            {a && a.state !== 'ended' ? <Text className="muted agreement-scope">适用：{scopeText(a)}</Text> : null}
            {a?.reason && (state === 'paused' || state === 'ended') ? <Text className="muted">{a.reason}</Text> : null}
            <AgreementButtons plateKey={p.plateKey} provider={provider} a={a} canSign={offered.includes(provider) && p.bound} here={here} actions={actions} />
          </View>
        );
      })}
    </View>
  );
}

export default function AgreementsPage() {
  const { params } = useRouter();
  // The park the driver is at (the link names it, else the last one used): they may limit a sign-up to it.
  const parkNumber = param(params, 'park') ?? lastPark();
  const here = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }).catch(() => undefined) : undefined), [parkNumber]);
  const hereName = here.state === 'ok' && here.data ? here.data.name : undefined;
  const { list, notice, actions } = useAgreements();

  if (list.state === 'loading') return <Loading />;
  if (list.state === 'error') return <ErrorState error={list.error} onRetry={list.reload} />;
  const { plates, offered } = list.data;

  return (
    <View className="page page-agreements">
      <Text className="page-title">无感支付</Text>
      <Text className="hint">开通后，出场时自动从微信支付或支付宝扣费，无需扫码缴费。开通时请选择适用范围：只在当前停车场扣费，或在本服务的所有停车场扣费。</Text>
      {notice ? (
        <Notice title={notice.title} tone={notice.tone}>
          {notice.text ? <Text className="state-hint">{notice.text}</Text> : null}
        </Notice>
      ) : null}
      {offered.length === 0 ? <Text className="muted">这里暂不支持无感支付</Text> : null}
      {plates.length === 0 ? (
        <View className="card">
          <Text className="muted">还没有绑定车牌</Text>
          <Button className="btn btn-primary" onClick={() => go('plates')}>
            去绑定车牌
          </Button>
        </View>
      ) : null}
      {plates.map((p) => (
        <PlateAgreements key={p.plateKey} p={p} offered={offered} here={{ parkNumber, hereName }} actions={actions} />
      ))}
    </View>
  );
}
