/**
 * 消息提醒 in 我的: each kind of message the driver can get, on or off, and how many one-time consents are
 * left (WeChat: each "允许" lets one message of that kind be sent). Consents are asked for when the driver
 * pays, binds a plate or signs 无感支付 — not here.
 */
import { Switch, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { messageEndpoints, type MessageKindView } from '@shared/api/messages';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { rememberSettings } from '../../../services/consent';

function left(k: MessageKindView): string {
  if (!k.templateId) return '本应用未开通';
  if (k.longTerm) return '已长期订阅';
  return k.remaining > 0 ? `还可接收 ${k.remaining} 条` : '未订阅';
}

export default function MessagesPage() {
  const settings = useLoader(async () => {
    const s = await call(messageEndpoints.settings, {});
    rememberSettings(s);
    return s;
  }, []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | undefined>();
  if (settings.state === 'loading') return <Loading />;
  if (settings.state === 'error') return <ErrorState error={settings.error} onRetry={settings.reload} />;
  const s = settings.data;
  const toggle = async (k: MessageKindView, enabled: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await call(messageEndpoints.setKind, { body: { kind: k.kind, enabled } });
      rememberSettings(next);
      settings.set(next);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="page page-messages">
      <Text className="page-title">消息提醒</Text>
      {!s.platform ? <Notice title="当前账号暂不能接收消息" tone="warn" /> : null}
      {s.kinds.map((k) => (
        <View key={k.kind} className={`card message-kind message-kind-${k.kind}`}>
          <View className="row">
            <Text className="row-label">{k.label}</Text>
            <Switch className={`message-switch-${k.kind}`} checked={k.enabled} disabled={busy || !k.templateId} onChange={(e) => void toggle(k, e.detail.value)} />
          </View>
          <Text className="muted">{k.enabled ? left(k) : '已关闭'}</Text>
        </View>
      ))}
      <Text className="muted">缴费、绑定车牌、开通无感支付时会请您允许接收提醒；微信的提醒每次允许可接收一条。</Text>
      {error ? <ErrorState error={error} /> : null}
    </View>
  );
}
