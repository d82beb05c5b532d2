/**
 * The audit log, newest first (admins: everything; operators: their parks' and their own), page by page.
 * Each entry is one sentence ("张三 为 京A12345 发放 2 小时停车券（车场已接收）", sentence.ts) with its time
 * and result; the entry's machine fields (action, park, facts, code) open in a detail view under it.
 */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { opAccountEndpoints, type AuditEntryView } from '@shared/api/op-accounts';
import { opParkEndpoints } from '@shared/api/op-parks';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime } from '../../../services/format';
import { param } from '../../../services/routes';
import { OpError, OpPage, type Err } from '../components/OpUi';
import { opErrorOf, opErrorTitle } from '../services/errors';
import { opCall } from '../services/session';
import { auditSentence } from './sentence';

const factText = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v === null ? '(空)' : String(v));

/** The entry as the server recorded it: for those who need the exact action (support, an export). */
function Detail({ e }: { e: AuditEntryView }) {
  const rows: [string, string][] = [
    ['时间', e.at],
    ['账号', `${e.username}（${e.operatorId}）`],
    ['接口', e.action],
    ['车场', e.parkNumber ?? '—'],
    ['结果', e.result === 'ok' ? '成功' : `失败（${e.code ?? '—'}）`],
    ...Object.entries(e.facts).map(([k, v]): [string, string] => [k, factText(v)]),
    ...(e.target ? [['对象', e.target] as [string, string]] : []),
  ];
  return (
    <View className="op-audit-detail">
      {rows.map(([k, v]) => (
        <View key={k} className="op-kv">
          <Text className="op-kv-key">{k}</Text>
          <Text className="op-kv-value">{v}</Text>
        </View>
      ))}
    </View>
  );
}

function Entry({ e, parkName }: { e: AuditEntryView; parkName: string | undefined }) {
  const [open, setOpen] = useState(false);
  const failed = e.result !== 'ok';
  return (
    <View className={`op-audit-entry${failed ? ' op-audit-failed' : ''}`}>
      <View className="op-audit-line">
        <Text className="op-audit-time">{dateTime(e.at)}</Text>
        {parkName ? <Text className="op-badge">{parkName}</Text> : null}
        {failed ? <Text className="op-badge op-badge-warn">未成功</Text> : null}
        <Text className="op-link op-audit-toggle" onClick={() => setOpen(!open)}>
          {open ? '收起' : '详情'}
        </Text>
      </View>
      <Text className={`op-audit-sentence${failed ? ' op-error-text' : ''}`}>{auditSentence(e, opErrorTitle)}</Text>
      {open ? <Detail e={e} /> : null}
    </View>
  );
}

export default function OpAuditPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park');
  const first = useLoader(() => opCall(opAccountEndpoints.audit, { query: { parkNumber, limit: 50 } }), [parkNumber]);
  // The log of every park names each entry's park, by its name when known.
  const parks = useLoader(async () => (parkNumber ? { parks: [] } : opCall(opParkEndpoints.listParks, {})), [parkNumber]);
  const names = new Map(parks.state === 'ok' ? parks.data.parks.map((p) => [p.parkNumber, p.name ?? p.parkNumber]) : []);
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
      setError(opErrorOf(e));
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
        <View className="card op-audit-list">
          {entries.map((e, i) => (
            <Entry key={`${e.at}-${i}`} e={e} parkName={!parkNumber && e.parkNumber ? (names.get(e.parkNumber) ?? e.parkNumber) : undefined} />
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
