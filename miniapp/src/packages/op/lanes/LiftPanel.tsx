/**
 * Lifting a lane's barrier from afar (4.22), in two steps so it is never one mis-tap: say why → the
 * server answers a confirmation valid for 30 s and what will happen → confirm (or cancel, or let it run
 * out) → the barrier opens. A lot that did not answer may or may not have opened it: said so, not retried
 * by itself.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useEffect, useRef, useState } from 'react';
import { opLotEndpoints } from '@shared/api/op-lot';
import { hhmm } from '../../../services/format';
import { serverNow } from '../../../services/serverClock';
import { ConfirmBox, Flash, OpError, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { formatChinaTime } from '@shared/time';

type Step =
  | { step: 'idle' }
  | { step: 'reason' }
  | { step: 'asking' }
  | { step: 'confirm'; confirmationId: string; expiresAt: number; prompt: string }
  | { step: 'lifting' }
  | { step: 'lifted'; at: string }
  | { step: 'expired' }
  | { step: 'failed'; error: Err };

export interface LiftPanelProps {
  parkNumber: string;
  passagewayId: string;
  /** Tests move time. */
  now?: () => number;
}

/** The lift's steps: ask with a reason, confirm before the confirmation runs out, lift; nothing shown after unmount. */
function useLift(parkNumber: string, passagewayId: string, now: () => number) {
  const [s, setS] = useState<Step>({ step: 'idle' });
  const [reason, setReason] = useState('');
  const [, tick] = useState(0);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const show = (next: Step) => alive.current && setS(next);

  // While a confirmation is open, count down; when it runs out, it is gone.
  useEffect(() => {
    if (s.step !== 'confirm') return;
    const t = setInterval(() => {
      if (now() >= s.expiresAt) show({ step: 'expired' });
      else tick((n) => n + 1);
    }, 500);
    return () => clearInterval(t);
  }, [s]);

  const params = { parkNumber, passagewayId };
  const ask = async () => {
    show({ step: 'asking' });
    try {
      const r = await opCall(opLotEndpoints.requestLift, { params, body: { reason: reason.trim() } });
      show({ step: 'confirm', confirmationId: r.confirmationId, expiresAt: Date.parse(r.expiresAt), prompt: r.prompt });
    } catch (e) {
      show({ step: 'failed', error: opErrorOf(e) });
    }
  };
  const lift = async () => {
    if (s.step !== 'confirm') return;
    if (now() >= s.expiresAt) return show({ step: 'expired' });
    const confirmationId = s.confirmationId;
    show({ step: 'lifting' });
    try {
      const r = await opCall(opLotEndpoints.lift, { params, body: { confirmationId } });
      setReason('');
      show({ step: 'lifted', at: r.at });
    } catch (e) {
      show({ step: 'failed', error: opErrorOf(e) });
    }
  };

  return { s, show, reason, setReason, ask, lift };
}

/** Why the barrier is lifted (written to the audit log), before the server is asked. */
function ReasonStep({ reason, setReason, asking, ask, cancel }: { reason: string; setReason: (r: string) => void; asking: boolean; ask: () => void; cancel: () => void }) {
  return (
    <View className="op-lift op-confirm">
      <Text className="op-confirm-prompt">远程抬杆：请写明原因（记入操作日志）</Text>
      <Input className="op-input op-lift-reason" value={reason} maxlength={200} placeholder="例如：设备故障，现场已收现金" onInput={(e) => setReason(e.detail.value)} />
      <View className="op-actions">
        <Button className="btn btn-primary op-lift-next" disabled={asking || reason.trim().length < 2} onClick={ask}>
          下一步
        </Button>
        <Button className="btn btn-secondary" onClick={cancel}>
          取消
        </Button>
      </View>
    </View>
  );
}

export function LiftPanel({ parkNumber, passagewayId, now = serverNow }: LiftPanelProps) {
  const { s, show, reason, setReason, ask, lift } = useLift(parkNumber, passagewayId, now);

  switch (s.step) {
    case 'idle':
    case 'lifted':
      return (
        <View className="op-lift">
          {s.step === 'lifted' ? <Flash text={`道闸已抬起（${formatChinaTime(Date.parse(s.at)).slice(11, 19)}）`} /> : null}
          <Button className="btn btn-secondary op-lift-start" onClick={() => show({ step: 'reason' })}>
            远程抬杆
          </Button>
        </View>
      );
    case 'reason':
    case 'asking':
      return <ReasonStep reason={reason} setReason={setReason} asking={s.step === 'asking'} ask={ask} cancel={() => show({ step: 'idle' })} />;
    case 'confirm': {
      const left = Math.max(0, Math.ceil((s.expiresAt - now()) / 1000));
      return (
        <ConfirmBox prompt={s.prompt} confirmText="确认抬杆" onConfirm={lift} onCancel={() => show({ step: 'idle' })}>
          <Text className="op-countdown">{left} 秒内有效（至 {hhmm(s.expiresAt)}）</Text>
        </ConfirmBox>
      );
    }
    case 'lifting':
      return (
        <View className="op-lift">
          <Text className="pay-status">正在抬杆…</Text>
        </View>
      );
    case 'expired':
    case 'failed':
      return (
        <View className="op-lift">
          {s.step === 'expired' ? <Flash tone="warn" text="确认已超时，道闸没有抬起" /> : <OpError error={s.error} />}
          <Button className="btn btn-secondary op-lift-start" onClick={() => show({ step: 'reason' })}>
            重新发起抬杆
          </Button>
        </View>
      );
  }
}
