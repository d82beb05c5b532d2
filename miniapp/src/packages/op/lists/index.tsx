/**
 * White and black lists (4.6–4.11): ParkPay's list per park with what the lot made of each entry; add,
 * edit, delete one; delete all in two steps (the server's confirmation, with its count and warning); CSV
 * import in the background with its progress (the lot takes 50 plates per call, 5 s apart) and a result
 * per problem row; resend what the lot has not acknowledged.
 */
import { Button, Input, Text, Textarea, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import { opListEndpoints, type ListEntryView, type ListJobView } from '@shared/api/op-lists';
import { formatChinaDate } from '@shared/time';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { param } from '../../../services/routes';
import { Choice, ConfirmBox, Field, Flash, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { LotListsCard } from './LotLists';
import { canPickFile, pickCsv } from './csvFile';
import { finished, followJob, progressOf } from './importJob';
import { serverNow } from '../../../services/serverClock';

type ListKind = 'white' | 'black';
const LIST_NAME = { white: '白名单', black: '黑名单' } as const;
const SYNC_TEXT = { pending: '发送中', synced: '车场已同步', refused: '车场拒绝', failed: '未确认' } as const;
const ROW_TEXT = { invalid: '格式错误', duplicate: '重复', queued: '排队中', synced: '已同步', refused: '车场拒绝', failed: '未确认' } as const;

// ── add / edit ──────────────────────────────────────────────────────────────────────────────────────

interface EntryForm {
  plate: string;
  memo: string;
  start: string;
  end: string;
  name: string;
  phone: string;
  carType: string;
}

function formOf(e: ListEntryView | undefined): EntryForm {
  const today = formatChinaDate(serverNow());
  return {
    plate: e?.plate ?? '',
    memo: e?.memo ?? '',
    start: e?.white?.start.slice(0, 10) ?? today,
    end: e?.white?.end.slice(0, 10) ?? `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
    name: e?.white?.name ?? '',
    phone: e?.white?.phone ?? '',
    carType: e?.white?.carType ?? '',
  };
}

/** The upsert body: blacklists take plate and memo; whitelists the lot's whitelist fields too. */
export function entryBody(list: ListKind, f: EntryForm) {
  const base = { plate: f.plate.trim(), memo: f.memo.trim() };
  if (list === 'black') return base;
  return { ...base, start: f.start.trim(), end: f.end.trim(), name: f.name.trim(), phone: f.phone.trim(), ...(f.carType.trim() ? { carType: f.carType.trim() } : {}) };
}

function EntryEditor({ parkNumber, list, entry, onSaved, onClose }: { parkNumber: string; list: ListKind; entry?: ListEntryView; onSaved: (e: ListEntryView) => void; onClose: () => void }) {
  const [f, setF] = useState<EntryForm>(formOf(entry));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const input = (k: keyof EntryForm, label: string, extra: { placeholder?: string; disabled?: boolean } = {}) => (
    <Field label={label}>
      <Input className={`op-input op-entry-${k}`} value={f[k]} disabled={extra.disabled} placeholder={extra.placeholder} onInput={(e) => setF({ ...f, [k]: e.detail.value })} />
    </Field>
  );
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await opCall(opListEndpoints.upsert, { params: { parkNumber, list }, body: entryBody(list, f) }));
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-entry-editor">
      <Text className="section-title">{entry ? `编辑 ${entry.plate}` : `添加到${LIST_NAME[list]}`}</Text>
      {input('plate', '车牌', { disabled: Boolean(entry), placeholder: '例如 京A12345' })}
      {list === 'white' ? (
        <>
          {input('start', '生效日期', { placeholder: 'yyyy-MM-dd' })}
          {input('end', '失效日期', { placeholder: 'yyyy-MM-dd' })}
          {input('name', '姓名')}
          {input('phone', '电话')}
          {input('carType', '车辆类型（默认 月租车）')}
        </>
      ) : null}
      {input('memo', list === 'black' ? '原因（车道屏显示）' : '备注')}
      <View className="op-actions">
        <Button className="btn btn-primary op-entry-save" disabled={busy || !f.plate.trim()} onClick={save}>
          {busy ? '正在发送到车场…' : '保存'}
        </Button>
        <Button className="btn btn-secondary" disabled={busy} onClick={onClose}>
          取消
        </Button>
      </View>
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

// ── the entries ─────────────────────────────────────────────────────────────────────────────────────

function EntryRow({ parkNumber, list, e, onEdit, onRemoved }: { parkNumber: string; list: ListKind; e: ListEntryView; onEdit: () => void; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await opCall(opListEndpoints.remove, { params: { parkNumber, list, plate: e.plate } });
      onRemoved();
    } catch (err) {
      setError(opErrorOf(err));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-row op-entry" id={`entry-${e.plate}`}>
      <View className="op-tr">
        <Text className="op-td op-entry-plate op-nowrap">{e.plate}</Text>
        {list === 'white' ? <Text className="op-td">{e.white?.name ?? ''}</Text> : null}
        {list === 'white' ? <Text className="op-td op-td-wide">{e.white ? `${e.white.start.slice(0, 10)} 至 ${e.white.end.slice(0, 10)}` : ''}</Text> : null}
        <Text className="op-td">{e.memo}</Text>
        <Text className={`op-td op-sync-${e.sync.state}`}>
          {SYNC_TEXT[e.sync.state]}
          {e.sync.error ? `：${e.sync.error}` : ''}
        </Text>
        <View className="op-td op-td-wide op-actions">
          <Button className="btn btn-secondary btn-small op-entry-edit" onClick={onEdit}>
            编辑
          </Button>
          <Button className="btn btn-secondary btn-small op-entry-remove" onClick={() => setConfirming(true)}>
            删除
          </Button>
        </View>
      </View>
      {confirming || error ? (
        <View className="op-row-extra">
          {confirming ? <ConfirmBox prompt={`从车场和${LIST_NAME[list]}删除 ${e.plate}？`} confirmText="删除" busy={busy} onConfirm={remove} onCancel={() => setConfirming(false)} /> : null}
          {error ? <OpError error={error} /> : null}
        </View>
      ) : null}
    </View>
  );
}

function ClearAll({ parkNumber, list, onCleared }: { parkNumber: string; list: ListKind; onCleared: () => void }) {
  const [ask, setAsk] = useState<{ confirmation: string; count: number; warning: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [done, setDone] = useState<number | undefined>();
  useEffect(() => {
    setAsk(undefined);
    setDone(undefined);
    setError(undefined);
  }, [list]);
  const step1 = async () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setAsk(await opCall(opListEndpoints.requestClear, { params: { parkNumber, list } }));
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const step2 = async () => {
    if (!ask) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await opCall(opListEndpoints.confirmClear, { params: { parkNumber, list }, body: { confirmation: ask.confirmation } });
      setAsk(undefined);
      setDone(r.removed);
      onCleared();
    } catch (e) {
      setAsk(undefined);
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-clear">
      {ask ? (
        <ConfirmBox prompt={`删除${LIST_NAME[list]}的全部 ${ask.count} 条？`} confirmText="全部删除" busy={busy} onConfirm={step2} onCancel={() => setAsk(undefined)}>
          <Text className="op-confirm-warning">{ask.warning}</Text>
        </ConfirmBox>
      ) : (
        <Button className="btn btn-secondary btn-small op-clear-start" disabled={busy} onClick={step1}>
          全部删除…
        </Button>
      )}
      {done !== undefined ? <Flash text={`已删除 ${done} 条`} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

// ── import ──────────────────────────────────────────────────────────────────────────────────────────

export function JobView({ job }: { job: ListJobView }) {
  const p = progressOf(job);
  const g = job.progress;
  const label = job.kind === 'import' ? '导入' : '重发';
  return (
    <View className={`op-job op-job-${job.status}`} id={`job-${job.id}`}>
      <Text className="op-job-title">
        {label}
        {job.status === 'done' ? '完成' : job.status === 'failed' ? '中止' : job.status === 'queued' ? '排队中' : '进行中'}：{p.done} / {p.total}
        {!finished(job) && p.etaSeconds > 0 ? `，约剩 ${p.etaSeconds} 秒` : ''}
      </Text>
      <View className="op-progress">
        <View className="op-progress-bar" style={{ width: `${p.percent}%` }} />
      </View>
      <Text className="muted op-job-counts">
        已同步 {g.synced} · 车场拒绝 {g.refused} · 未确认 {g.failed} · 格式错误 {g.invalid} · 重复 {g.duplicate}
      </Text>
      {job.error ? <Text className="op-error-text">{job.error}</Text> : null}
      {job.rows && job.rows.length ? (
        <OpTable head={[['行', 'narrow'], '车牌', ['结果', 'narrow'], ['原因', 'wide']]} minWidth={880} className="op-job-rows">
          {job.rows.map((r) => (
            <View key={`${r.line}-${r.plate}`} className="op-tr">
              <Text className="op-td op-td-narrow op-nowrap">第 {r.line} 行</Text>
              <Text className="op-td op-nowrap">{r.plate || '—'}</Text>
              <Text className="op-td op-td-narrow">{ROW_TEXT[r.status]}</Text>
              <Text className="op-td op-td-wide">{r.error ?? ''}</Text>
            </View>
          ))}
        </OpTable>
      ) : null}
    </View>
  );
}

const SAMPLE = { white: '车牌,生效日期,失效日期,姓名,电话\n京A12345,2026-01-01,2026-12-31,张三,13800000000', black: '车牌,备注\n京B66666,欠费未缴' } as const;

/** A background job of this list: followed to its end (also one still running when the page opens), then `onFinished`. */
function useListJob(parkNumber: string, list: ListKind, onFinished: () => void, onError: (e: Err) => void) {
  const [job, setJob] = useState<ListJobView | undefined>();
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  const follow = async (first: ListJobView) => {
    try {
      await followJob(
        first,
        {
          getJob: (jobId, rows) => opCall(opListEndpoints.job, { params: { parkNumber, jobId }, query: { rows } }),
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          stopped: () => !alive.current,
        },
        (j) => alive.current && setJob(j),
      );
      if (alive.current) onFinished();
    } catch (e) {
      if (alive.current) onError(opErrorOf(e));
    }
  };

  // A job of this list still running (the page was closed during an import): follow it.
  useEffect(() => {
    let stop = false;
    setJob(undefined);
    opCall(opListEndpoints.jobs, { params: { parkNumber }, query: { limit: 5 } }).then(
      (r) => {
        const running = r.jobs.find((j) => j.list === list && !finished(j));
        if (running && !stop) void follow(running);
      },
      () => undefined,
    );
    return () => {
      stop = true;
    };
  }, [parkNumber, list]);

  return { job, follow };
}

/** The CSV to import (picked from a file or pasted), and starting an import or a resend, each followed as a job. */
function useImport(parkNumber: string, list: ListKind, onFinished: () => void) {
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const { job, follow } = useListJob(parkNumber, list, onFinished, setError);

  const choose = async () => {
    setError(undefined);
    try {
      const f = await pickCsv();
      if (!f) return;
      setCsv(f.text);
      setFileName(f.name);
    } catch (e) {
      setError(opErrorOf(e));
    }
  };
  const start = async (kind: 'import' | 'resync') => {
    setBusy(true);
    setError(undefined);
    try {
      const first = kind === 'import' ? await opCall(opListEndpoints.startImport, { params: { parkNumber, list }, body: { csv } }) : await opCall(opListEndpoints.resync, { params: { parkNumber, list } });
      if (kind === 'import') {
        setCsv('');
        setFileName(undefined);
      }
      setBusy(false);
      await follow(first);
    } catch (e) {
      setError(opErrorOf(e));
      setBusy(false);
    }
  };
  return { csv, setCsv, fileName, job, busy, error, choose, start };
}

function Import({ parkNumber, list, onFinished }: { parkNumber: string; list: ListKind; onFinished: () => void }) {
  const { csv, setCsv, fileName, job, busy, error, choose, start } = useImport(parkNumber, list, onFinished);
  const running = Boolean(job && !finished(job));
  const rows = csv.trim() ? csv.trim().split(/\r?\n/).length : 0;
  return (
    <View className="card op-import">
      <Text className="section-title">批量导入（CSV，最多 2000 行）</Text>
      <Text className="muted">
        表头可用中文或英文；{list === 'white' ? '列：车牌、生效日期、失效日期、姓名、电话、车辆类型、备注' : '列：车牌、备注（原因）'}。车场每次接收 50 条、间隔 5 秒，500 条约需 50 秒。
      </Text>
      {canPickFile() ? (
        <Button className="btn btn-secondary btn-small op-import-pick" disabled={running} onClick={choose}>
          选择 CSV 文件
        </Button>
      ) : null}
      {fileName ? <Text className="muted op-import-file">{fileName}</Text> : null}
      <Textarea className="op-input op-import-csv" value={csv} maxlength={400_000} placeholder={`或粘贴 CSV，例如：\n${SAMPLE[list]}`} onInput={(e) => setCsv(e.detail.value)} />
      <View className="op-actions">
        <Button className="btn btn-primary op-import-start" disabled={busy || running || !csv.trim()} onClick={() => start('import')}>
          {rows ? `开始导入（${rows} 行，含表头）` : '开始导入'}
        </Button>
        <Button className="btn btn-secondary op-resync" disabled={busy || running} onClick={() => start('resync')}>
          重发未确认的
        </Button>
      </View>
      {job ? <JobView job={job} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

// ── the page ────────────────────────────────────────────────────────────────────────────────────────

export default function OpListsPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const [list, setList] = useState<ListKind>(param(params, 'list') === 'black' ? 'black' : 'white');
  const [filter, setFilter] = useState('');
  const [plate, setPlate] = useState<string | undefined>();
  const [editing, setEditing] = useState<{ entry?: ListEntryView } | undefined>();
  const [flash, setFlash] = useState<string | undefined>();
  const page = useLoader(() => opCall(opListEndpoints.page, { params: { parkNumber, list }, query: { plate, limit: 200 } }), [parkNumber, list, plate]);
  const switchTo = (l: ListKind) => {
    setEditing(undefined);
    setFlash(undefined);
    setList(l);
  };
  return (
    <OpPage title="黑白名单" parkNumber={parkNumber} className="op-lists">
      <Choice
        className="op-list-kind"
        value={list}
        options={[
          { value: 'white', label: '白名单' },
          { value: 'black', label: '黑名单' },
        ]}
        onChange={switchTo}
      />
      {editing ? (
        <EntryEditor
          parkNumber={parkNumber}
          list={list}
          entry={editing.entry}
          onClose={() => setEditing(undefined)}
          onSaved={(e) => {
            setEditing(undefined);
            setFlash(`${e.plate}：${SYNC_TEXT[e.sync.state]}${e.sync.error ? `（${e.sync.error}）` : ''}`);
            page.reload();
          }}
        />
      ) : null}
      <View className="card">
        <View className="op-actions">
          <Input className="op-input op-list-filter" value={filter} placeholder="按车牌查找" onInput={(e) => setFilter(e.detail.value)} />
          <Button className="btn btn-secondary btn-small" onClick={() => setPlate(filter.trim() || undefined)}>
            查找
          </Button>
          <Button className="btn btn-primary btn-small op-entry-add" onClick={() => setEditing({})}>
            添加
          </Button>
        </View>
        {flash ? <Flash text={flash} /> : null}
        {page.state === 'loading' ? <Loading /> : null}
        {page.state === 'error' ? <OpError error={page.error} onRetry={page.reload} /> : null}
        {page.state === 'ok' ? (
          <>
            <Text className="muted op-list-total">
              {LIST_NAME[list]}共 {page.data.total} 条{page.data.entries.length < page.data.total ? `，显示 ${page.data.entries.length} 条` : ''}
            </Text>
            {page.data.entries.length ? (
              <OpTable head={list === 'white' ? ['车牌', '姓名', ['有效期', 'wide'], '备注', '车场同步', ['', 'wide']] : ['车牌', '原因', '车场同步', ['', 'wide']]} minWidth={list === 'white' ? 1300 : 880} className="op-entries">
                {page.data.entries.map((e) => (
                  <EntryRow key={e.plate} parkNumber={parkNumber} list={list} e={e} onEdit={() => setEditing({ entry: e })} onRemoved={page.reload} />
                ))}
              </OpTable>
            ) : null}
          </>
        ) : null}
        <ClearAll parkNumber={parkNumber} list={list} onCleared={page.reload} />
      </View>
      <Import parkNumber={parkNumber} list={list} onFinished={page.reload} />
      <LotListsCard
        parkNumber={parkNumber}
        // Compared only with our whole whitelist (not a filtered or cut page).
        ours={list === 'white' && !plate && page.state === 'ok' && page.data.entries.length === page.data.total ? page.data.entries.map((e) => e.plate) : undefined}
      />
    </OpPage>
  );
}
