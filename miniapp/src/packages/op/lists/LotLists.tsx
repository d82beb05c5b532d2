/**
 * The lot's own lists beside ours: its whole whitelist as it last sent it (4.32, online entries and those
 * entered at the lot) and its latest fixed-car renewals (4.31); the labels say what they are, not their section. Each lot entry says whether ParkPay's
 * whitelist has the plate too, and ParkPay's entries the lot does not have are counted.
 */
import { Button, Text, View } from '@tarojs/components';
import { useState } from 'react';
import type { ResponseOf } from '@shared/api/contract';
import { opListEndpoints } from '@shared/api/op-lists';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, yuan } from '../../../services/format';
import { OpError, OpTable } from '../components/OpUi';
import { opCall } from '../services/session';

type LotLists = ResponseOf<typeof opListEndpoints.lotLists>;
type LotWhite = LotLists['whitelist'][number];

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** '1' issued online (by a third party such as ParkPay), '2' entered at the lot. */
export function sourceText(source: string): string {
  return source === '1' ? '线上下发' : source === '2' ? '车场录入' : source ? `来源 ${source}` : '来源未知';
}

/** The lot's plates against ours: which lot plates we have, and how many of ours the lot lacks. */
export function compareLists(lot: readonly { plate: string }[], ours: readonly string[] | undefined) {
  if (!ours) return undefined;
  const mine = new Set(ours);
  const theirs = new Set(lot.map((w) => w.plate));
  return { both: lot.filter((w) => mine.has(w.plate)).length, lotOnly: lot.filter((w) => !mine.has(w.plate)).length, oursOnly: ours.filter((p) => !theirs.has(p)) };
}

function WhiteRow({ w, ours }: { w: LotWhite; ours: Set<string> | undefined }) {
  const r = w.record;
  const period = str(r.start) || str(r.end) ? `${str(r.start)} 至 ${str(r.end)}` : '';
  return (
    <View className="op-tr op-lot-white" id={`lot-white-${w.plate}`}>
      <Text className="op-td op-nowrap">{w.plate}</Text>
      <Text className="op-td">{ours ? ours.has(w.plate) ? <Text className="op-badge op-badge-in">两边都有</Text> : <Text className="op-badge op-badge-out">仅车场有</Text> : '—'}</Text>
      <Text className="op-td">{str(r.name)}</Text>
      <Text className="op-td">{str(r.carType)}</Text>
      <Text className="op-td op-td-wide">{period}</Text>
      <Text className="op-td op-td-wide">
        {sourceText(w.source)}
        {w.changedAt ? ` · ${dateTime(w.changedAt)}` : ''}
      </Text>
    </View>
  );
}

/** `ours`: the plates of ParkPay's whitelist as loaded (undefined: not known, e.g. filtered). */
export function LotListsCard({ parkNumber, ours }: { parkNumber: string; ours: readonly string[] | undefined }) {
  const [open, setOpen] = useState(false);
  return (
    <View className="card op-lot-lists">
      <Text className="section-title">车场自有名单</Text>
      <Text className="muted">车场系统上报的完整白名单（含车场自己录入的）和最近的月租续费记录，与 ParkPay 名单对照。</Text>
      {open ? (
        <LotListsBody parkNumber={parkNumber} ours={ours} />
      ) : (
        <Button className="btn btn-secondary btn-small op-lot-lists-open" onClick={() => setOpen(true)}>
          查看车场名单
        </Button>
      )}
    </View>
  );
}

function LotListsBody({ parkNumber, ours }: { parkNumber: string; ours: readonly string[] | undefined }) {
  const data = useLoader(() => opCall(opListEndpoints.lotLists, { params: { parkNumber }, query: { renewals: 50 } }), [parkNumber]);
  if (data.state === 'loading') return <Loading />;
  if (data.state === 'error') return <OpError error={data.error} onRetry={data.reload} />;
  const { whitelist, renewals } = data.data;
  const cmp = compareLists(whitelist, ours);
  const mine = ours ? new Set(ours) : undefined;
  return (
    <View>
      <Text className="op-job-title">车场白名单：{whitelist.length} 辆</Text>
      {cmp ? (
        <Text className="muted op-lot-compare">
          两边都有 {cmp.both} 辆 · 仅车场有 {cmp.lotOnly} 辆 · 仅 ParkPay 有 {cmp.oursOnly.length} 辆
          {cmp.oursOnly.length ? `（${cmp.oursOnly.slice(0, 10).join('、')}${cmp.oursOnly.length > 10 ? ' …' : ''}）` : ''}
        </Text>
      ) : null}
      {whitelist.length === 0 ? <Text className="muted">车场还没有上报白名单</Text> : null}
      {whitelist.length ? (
        <OpTable head={['车牌', 'ParkPay 名单', '姓名', '车辆类型', ['有效期', 'wide'], ['来源', 'wide']]} minWidth={1300} className="op-lot-whitelist">
          {whitelist.map((w) => (
            <WhiteRow key={w.plate} w={w} ours={mine} />
          ))}
        </OpTable>
      ) : null}
      <Text className="op-job-title">最近的月租续费</Text>
      {renewals.length === 0 ? <Text className="muted">还没有续费记录</Text> : null}
      {renewals.length ? (
        <OpTable head={['车牌', '金额', '月数', '有效至', '缴费时间']} minWidth={1100}>
          {renewals.map((r, i) => (
            <View key={`${r.payTime ?? ''}-${i}`} className="op-tr op-renewal">
              <Text className="op-td">{r.plates.join('、')}</Text>
              <Text className="op-td">{yuan(r.payChargeFen)}</Text>
              <Text className="op-td">{r.feeMonths} 个月</Text>
              <Text className="op-td op-nowrap">{r.end ? dateTime(r.end) : ''}</Text>
              <Text className="op-td op-nowrap">{r.payTime ? dateTime(r.payTime) : ''}</Text>
            </View>
          ))}
        </OpTable>
      ) : null}
    </View>
  );
}
