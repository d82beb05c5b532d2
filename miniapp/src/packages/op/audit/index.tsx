/** The audit log, newest first (admins: everything; operators: their parks' and their own), page by page. */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { opAccountEndpoints, type AuditEntryView } from '@shared/api/op-accounts';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { errorOf } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { param } from '../../../services/routes';
import { OpError, OpPage, type Err } from '../components/OpUi';
import { opCall } from '../services/session';

export default function OpAuditPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park');
  const first = useLoader(() => opCall(opAccountEndpoints.audit, { query: { parkNumber, limit: 50 } }), [parkNumber]);
  const [more, setMore] = useState<{ entries: AuditEntryView[]; next: string | null } | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const entries = first.state === 'ok' ? [...first.data.entries, ...(more?.entries ?? [])] : [];
  const next = more ? more.next : first.state === 'ok' ? first.data.next : null;
  const loadMore = async () => {
    if (!next) return;
    setBusy(true);
    setError(undefined);
    try {
      const page = await opCall(opAccountEndpoints.audit, { query: { parkNumber, before: next, limit: 50 } });
      setMore({ entries: [...(more?.entries ?? []), ...page.entries], next: page.next });
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <OpPage title={parkNumber ? '操作日志（本车场）' : '操作日志'} parkNumber={parkNumber} className="op-audit">
      {first.state === 'loading' ? <Loading /> : null}
      {first.state === 'error' ? <OpError error={first.error} onRetry={first.reload} /> : null}
      {first.state === 'ok' && entries.length === 0 ? <Text className="muted">还没有操作记录</Text> : null}
      {entries.length ? (
        <View className="card op-table">
          <View className="op-tr op-th">
            <Text className="op-td">时间</Text>
            <Text className="op-td">操作人</Text>
            <Text className="op-td">操作</Text>
            <Text className="op-td">对象</Text>
            <Text className="op-td">结果</Text>
          </View>
          {entries.map((e, i) => (
            <View key={`${e.at}-${i}`} className="op-tr op-audit-entry">
              <Text className="op-td">{dateTime(e.at)}</Text>
              <Text className="op-td">{e.username}</Text>
              <Text className="op-td">{e.action}</Text>
              <Text className="op-td">
                {e.parkNumber ? `${e.parkNumber} ` : ''}
                {e.target ?? ''}
              </Text>
              <Text className={`op-td ${e.result === 'ok' ? '' : 'op-error-text'}`}>{e.result === 'ok' ? '成功' : `失败 ${e.code ?? ''}`}</Text>
            </View>
          ))}
        </View>
      ) : null}
      {next ? (
        <Button className="btn btn-secondary op-audit-more" disabled={busy} onClick={loadMore}>
          {busy ? '加载中…' : '更早的记录'}
        </Button>
      ) : null}
      {error ? <OpError error={error} /> : null}
    </OpPage>
  );
}
