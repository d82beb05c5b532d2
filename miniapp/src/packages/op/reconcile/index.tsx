/**
 * Daily reconciliation of a park: one China day, ParkPay's payments against what the lot reported (4.3,
 * 4.15) — counts by outcome, the differences first, every row, the day as CSV — and the takings by channel
 * for the two weeks up to that day as a bar chart (views and CSS, no chart library).
 */
import { Button, Picker, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import { opReconciliationEndpoints, RECON_STATUS_TEXT, RECONCILIATION_CSV_PATH, type DailyReconciliationView } from '@shared/api/op-reconciliation';
import { formatChinaDate } from '@shared/time';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { Choice, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { openFile } from '../services/files';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { addDays, CHANNEL_COLOR, CHANNEL_TEXT, chartRows, type Channel } from './chart';
import { serverNow } from '../../../services/serverClock';

type Row = DailyReconciliationView['rows'][number];
type Status = Row['status'];

export const STATUS_TEXT: Record<Status, string> = RECON_STATUS_TEXT;
const DIFFERENCES: readonly Status[] = ['amount_differs', 'missing_at_lot', 'missing_ours', 'refunded_but_at_lot'];
const CHART_DAYS = 14;

function TakingsChart({ parkNumber, date }: { parkNumber: string; date: string }) {
  const from = addDays(date, -(CHART_DAYS - 1));
  const takings = useLoader(() => opCall(opReconciliationEndpoints.takings, { params: { parkNumber }, query: { from, to: date } }), [parkNumber, date]);
  if (takings.state === 'loading') return <Loading />;
  if (takings.state === 'error') return <OpError error={takings.error} onRetry={takings.reload} />;
  const channels = takings.data.channels as Channel[];
  const rows = chartRows(takings.data.days as never, channels);
  return (
    <View className="card op-chart">
      <Text className="section-title">
        每日收入（按渠道，{from.slice(5)} 至 {date.slice(5)}）
      </Text>
      <View className="op-chart-legend">
        {channels.map((c) => (
          <View key={c} className="op-legend-item">
            <View className="op-legend-swatch" style={{ background: CHANNEL_COLOR[c] }} />
            <Text className="muted">{CHANNEL_TEXT[c]}</Text>
          </View>
        ))}
      </View>
      {rows.map((r) => (
        <View key={r.date} className="op-chart-row" id={`day-${r.date}`}>
          <Text className="op-chart-date">{r.date.slice(5)}</Text>
          <View className="op-chart-track">
            <View className="op-chart-bar" style={{ width: `${r.barPercent}%` }}>
              {r.segments.map((s) => (
                <View key={s.channel} className={`op-chart-seg op-chart-seg-${s.channel}`} style={{ width: `${s.percent}%`, background: CHANNEL_COLOR[s.channel] }} />
              ))}
            </View>
          </View>
          <Text className="op-chart-total">{yuan(r.totalFen)}</Text>
        </View>
      ))}
    </View>
  );
}

function Totals({ day }: { day: DailyReconciliationView }) {
  const s = day.summary;
  const line = (label: string, t: { totalFen: number; byChannel: Record<Channel, number> }) => (
    <View className="op-tr">
      <Text className="op-td op-th">{label}</Text>
      <Text className="op-td">{yuan(t.totalFen)}</Text>
      <Text className="op-td muted">
        {(Object.keys(CHANNEL_TEXT) as Channel[])
          .filter((c) => t.byChannel[c])
          .map((c) => `${CHANNEL_TEXT[c]} ${yuan(t.byChannel[c])}`)
          .join(' · ')}
      </Text>
    </View>
  );
  return (
    <View className="card op-recon-summary">
      <Text className={`section-title ${s.differences ? 'op-error-text' : ''}`}>{s.differences ? `${s.differences} 笔有差异` : '没有差异'}</Text>
      <View className="op-choices">
        {(Object.keys(STATUS_TEXT) as Status[])
          .filter((k) => s.counts[k])
          .map((k) => (
            <Text key={k} className={`op-badge ${DIFFERENCES.includes(k) ? 'op-badge-warn' : ''} op-count-${k}`}>
              {STATUS_TEXT[k]} {s.counts[k]}
            </Text>
          ))}
      </View>
      <View className="op-table">
        {line('本系统收款', s.ours)}
        {s.ours.refundedFen ? (
          <View className="op-tr">
            <Text className="op-td op-th">其中退款</Text>
            <Text className="op-td">{yuan(s.ours.refundedFen)}</Text>
            <Text className="op-td" />
          </View>
        ) : null}
        {line('车场上报', s.lot)}
        {line('实收', s.takings)}
      </View>
      {s.passes.online.count || s.passes.booth.count ? (
        <Text className="muted op-recon-passes">
          月卡：线上续费 {s.passes.online.count} 笔 {yuan(s.passes.online.fen)}
          {s.passes.online.refundedFen ? `（退款 ${yuan(s.passes.online.refundedFen)}）` : ''}，岗亭续费 {s.passes.booth.count} 笔 {yuan(s.passes.booth.fen)}
        </Text>
      ) : null}
      <Text className="muted">生成于 {dateTime(day.generatedAt)}</Text>
    </View>
  );
}

function RowView({ r }: { r: Row }) {
  return (
    <View className={`op-tr op-recon-row op-recon-${r.status}`}>
      <Text className={`op-td ${DIFFERENCES.includes(r.status) ? 'op-error-text' : ''}`}>{STATUS_TEXT[r.status]}</Text>
      <Text className="op-td">{CHANNEL_TEXT[r.channel]}</Text>
      <Text className="op-td op-nowrap">{r.plate || '—'}</Text>
      <Text className="op-td op-nowrap">{r.at ? dateTime(r.at).slice(11) : '—'}</Text>
      <Text className="op-td">{r.ours ? yuan(r.ours.amountFen) : '—'}</Text>
      <Text className="op-td">{r.lot ? yuan(r.lot.amountFen) : '—'}</Text>
      <Text className="op-td">{r.differenceFen ? `${r.differenceFen > 0 ? '+' : '-'}${yuan(Math.abs(r.differenceFen))}` : ''}</Text>
    </View>
  );
}

/** The day looked at, and its reconciliation; without a date in the link, "today" is the server's. */
function useReconciledDay(parkNumber: string, linkDate: string | undefined, today: string) {
  const [date, setDate] = useState(linkDate ?? today);
  const day = useLoader(() => opCall(opReconciliationEndpoints.daily, { params: { parkNumber }, query: { date } }), [parkNumber, date]);
  const go = (d: string) => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(d)) setDate(d);
  };
  // Without a date in the link, "today" is the server's: the first answer tells its clock (the phone's may
  // be off; demo mode's runs ahead), and the page follows it once, unless another day was chosen meanwhile.
  const firstDefault = useRef(linkDate === undefined ? date : undefined);
  useEffect(() => {
    if (day.state !== 'ok' || firstDefault.current === undefined) return;
    const serverToday = formatChinaDate(serverNow());
    if (date === firstDefault.current && serverToday !== date) go(serverToday);
    firstDefault.current = undefined;
  }, [day.state]);
  return { date, go, day };
}

/** The day before, a day picked, the day after (not past today), and the day's CSV. */
function DayPicker({ parkNumber, date, today, go }: { parkNumber: string; date: string; today: string; go: (d: string) => void }) {
  const [csvError, setCsvError] = useState<Err | undefined>();
  const [csvBusy, setCsvBusy] = useState(false);
  const exportCsv = async () => {
    setCsvBusy(true);
    setCsvError(undefined);
    try {
      const path = `${RECONCILIATION_CSV_PATH.replace(':parkNumber', encodeURIComponent(parkNumber))}?date=${date}`;
      await openFile(path, `${parkNumber}-${date}-对账.csv`, 'csv');
    } catch (e) {
      setCsvError(opErrorOf(e));
    } finally {
      setCsvBusy(false);
    }
  };
  return (
    <View className="card op-day-picker">
      <View className="op-actions">
        <Button className="btn btn-secondary btn-small op-day-prev" onClick={() => go(addDays(date, -1))}>
          前一天
        </Button>
        <Picker mode="date" value={date} end={today} onChange={(e) => go(String(e.detail.value))}>
          <Text className="op-input op-day">{date}</Text>
        </Picker>
        <Button className="btn btn-secondary btn-small op-day-next" disabled={date >= today} onClick={() => go(addDays(date, 1))}>
          后一天
        </Button>
        <Button className="btn btn-primary btn-small op-csv" disabled={csvBusy} onClick={exportCsv}>
          {csvBusy ? '正在导出…' : '导出 CSV'}
        </Button>
      </View>
      {csvError ? <OpError error={csvError} /> : null}
    </View>
  );
}

type Filter = 'differences' | 'all';

/** The day's payments, only the differences or all of them. */
function DayRows({ all, filter, setFilter }: { all: Row[]; filter: Filter; setFilter: (f: Filter) => void }) {
  const rows = all.filter((r) => filter === 'all' || DIFFERENCES.includes(r.status));
  return (
    <View className="card">
      <Choice
        className="op-recon-filter"
        value={filter}
        options={[
          { value: 'differences', label: '只看差异' },
          { value: 'all', label: `全部 ${all.length} 笔` },
        ]}
        onChange={setFilter}
      />
      {rows.length === 0 ? <Text className="muted">{filter === 'differences' ? '这一天没有差异' : '这一天没有收款'}</Text> : null}
      {rows.length ? (
        <OpTable head={['结果', '渠道', '车牌', '时间', '本系统', '车场', '差额']} minWidth={1300} className="op-recon-rows">
          {rows.map((r, i) => (
            <RowView key={`${r.orderId}-${r.ours?.ref ?? r.lot?.payNo ?? i}`} r={r} />
          ))}
        </OpTable>
      ) : null}
    </View>
  );
}

export default function OpReconcilePage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const today = formatChinaDate(serverNow());
  // The filter is the page's: it holds while another day loads.
  const [filter, setFilter] = useState<Filter>('differences');
  const { date, go, day } = useReconciledDay(parkNumber, param(params, 'date'), today);
  return (
    <OpPage title="对账" parkNumber={parkNumber} className="op-reconcile">
      <DayPicker parkNumber={parkNumber} date={date} today={today} go={go} />
      {day.state === 'loading' ? <Loading text="正在对账…" /> : null}
      {day.state === 'error' ? <OpError error={day.error} onRetry={day.reload} /> : null}
      {day.state === 'ok' ? (
        <>
          <Totals day={day.data} />
          <DayRows all={day.data.rows} filter={filter} setFilter={setFilter} />
        </>
      ) : null}
      <TakingsChart parkNumber={parkNumber} date={date} />
    </OpPage>
  );
}
