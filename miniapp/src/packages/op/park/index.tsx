/**
 * A park's home: its dashboard (today's takings, cars in and free spaces, payments the lot has not
 * acknowledged, refunds in progress, how long ago the lot last spoke — updated by itself while the page is
 * shown) and what there is to do (lanes and their QR codes, spaces, find a car, coupons, lists, bookings,
 * reconciliation, settings, the audit log). Merchants see coupons only.
 */
import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import { opDashboardEndpoints, type DashboardView } from '@shared/api/op-dashboard';
import { opParkEndpoints } from '@shared/api/op-parks';
import type { OperatorRoleName } from '@shared/api/op-accounts';
import { RECON_CHANNEL_TEXT, RECON_KIND_TEXT } from '@shared/api/op-reconciliation';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { hhmm, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { OpError, OpPage, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { goOp, type OpPageName } from '../services/routes';
import { opCall, opSession } from '../services/session';

interface Section {
  page: OpPageName;
  title: string;
  hint: string;
  roles: readonly OperatorRoleName[];
}

const STAFF = ['admin', 'operator'] as const;
export const SECTIONS: readonly Section[] = [
  { page: 'lanes', title: '车道与二维码', hint: '车道名称、二维码、海报、远程抬杆', roles: STAFF },
  { page: 'spaces', title: '车位', hint: '各楼层车位占用', roles: STAFF },
  { page: 'cars', title: '找车 · 停车记录', hint: '车辆位置、进出记录和照片', roles: STAFF },
  { page: 'coupons', title: '停车券', hint: '给在场车辆发放时长券、金额券', roles: ['admin', 'operator', 'merchant'] },
  { page: 'lists', title: '黑白名单', hint: '白名单、黑名单，CSV 批量导入', roles: STAFF },
  { page: 'bookings', title: '预约', hint: '预约产品、预约记录、与车场对账', roles: STAFF },
  { page: 'passes', title: '月卡', hint: '线上月卡价格、适用区域、购买记录', roles: STAFF },
  { page: 'reconcile', title: '对账', hint: '每日对账、差异、CSV 导出、收入图表', roles: STAFF },
  { page: 'invoices', title: '电子发票', hint: '开票进度、红冲、重新发送', roles: STAFF },
  { page: 'settings', title: '车场设置', hint: '付款码、放行规则、收费标准与服务电话', roles: STAFF },
  { page: 'audit', title: '操作日志', hint: '谁在什么时候做了什么', roles: STAFF },
];

/** How often the dashboard asks again while it is shown. */
export const DASHBOARD_REFRESH_MS = 10_000;

/** 75 → "1 分 15 秒", 4000 → "1 小时 6 分": how long ago, roughly. */
export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds} 秒`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} 分${seconds % 60 ? ` ${seconds % 60} 秒` : ''}`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} 小时 ${Math.floor((seconds % 3600) / 60)} 分`;
  return `${Math.floor(seconds / 86_400)} 天`;
}

function Stat({ label, value, sub, tone, className }: { label: string; value: string; sub?: string; tone?: 'alert' | 'ok'; className: string }) {
  return (
    <View className={`op-stat ${className}${tone ? ` op-stat-${tone}` : ''}`}>
      <Text className="op-stat-label">{label}</Text>
      <Text className="op-stat-value">{value}</Text>
      {sub ? <Text className="op-stat-sub">{sub}</Text> : null}
    </View>
  );
}

export function DashboardStats({ d }: { d: DashboardView }) {
  const t = d.today;
  const channels = (['wechat', 'alipay'] as const).filter((c) => t.byChannel[c]).map((c) => `${RECON_CHANNEL_TEXT[c]} ${yuan(t.byChannel[c])}`);
  const kinds = t.byKind.map((k) => `${RECON_KIND_TEXT[k.kind] ?? '其他'} ${k.count} 笔`);
  const lot = d.lot;
  const w = d.waitingForLot;
  return (
    <View className="op-dash">
      <Stat
        className="op-stat-takings"
        label="今日收款（经 ParkPay）"
        value={yuan(t.totalFen)}
        sub={t.count ? `${t.count} 笔 · ${channels.join(' · ')}${t.refundedFen ? ` · 退款 ${yuan(t.refundedFen)}` : ''}` : '今天还没有收款'}
      />
      <Stat
        className="op-stat-cars"
        label="场内车辆 / 空车位"
        value={lot.carsIn !== null && lot.freeSpaceCount !== null ? `${lot.carsIn} / ${lot.freeSpaceCount}` : '—'}
        sub={lot.spaceCount !== null ? `共 ${lot.spaceCount} 个车位${lot.areas.length ? ` · ${lot.areas.map((a) => `${a.name} 空 ${a.freeSpaceCount ?? '—'}`).join(' · ')}` : ''}` : '车场还没有上报车位'}
      />
      <Stat
        className="op-stat-waiting"
        label="待通知车场的付款"
        value={`${w.count} 笔`}
        tone={w.count && (w.oldestAgeSeconds ?? 0) > 60 ? 'alert' : undefined}
        sub={w.count && w.oldestAgeSeconds !== null ? `最早一笔已等 ${ageText(w.oldestAgeSeconds)}` : '车场都已收到'}
      />
      <Stat
        className="op-stat-refunds"
        label="退款中"
        value={`${d.refundsInProgress.count} 笔`}
        sub={d.refundsInProgress.count ? `共 ${yuan(d.refundsInProgress.fen)}` : '没有进行中的退款'}
      />
      <Stat
        className={`op-stat-heartbeat${lot.silent ? ' op-heartbeat-silent' : ' op-heartbeat-ok'}`}
        label="车场心跳"
        tone={lot.silent ? 'alert' : 'ok'}
        value={lot.heartbeatAgeSeconds === null ? '从未收到' : `${ageText(lot.heartbeatAgeSeconds)}前`}
        sub={lot.silent ? '车场超过 2 分钟没有消息，请检查车场网络和蓝卡系统' : '车场在线'}
      />
      {kinds.length ? <Stat className="op-stat-kinds" label="今日收款方式" value={`${t.count} 笔`} sub={kinds.join(' · ')} /> : null}
    </View>
  );
}

/** The dashboard, asked again every DASHBOARD_REFRESH_MS while the page is shown (not while another page covers it). */
function Dashboard({ parkNumber }: { parkNumber: string }) {
  const [data, setData] = useState<DashboardView | undefined>();
  const [error, setError] = useState<Err | undefined>();
  const shown = useRef(true);
  const [tick, setTick] = useState(0);
  // The page stays mounted under the pages opened from it: it asks only while it is the one shown.
  Taro.useDidShow?.(() => {
    if (shown.current) return;
    shown.current = true;
    setTick((t) => t + 1);
  });
  Taro.useDidHide?.(() => {
    shown.current = false;
  });
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      if (!alive) return;
      if (shown.current) {
        try {
          const d = await opCall(opDashboardEndpoints.dashboard, { params: { parkNumber } });
          if (alive) {
            setData(d);
            setError(undefined);
          }
        } catch (e) {
          if (alive) setError(opErrorOf(e));
        }
      }
      if (alive) timer = setTimeout(load, DASHBOARD_REFRESH_MS);
    };
    void load();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [parkNumber, tick]);
  return (
    <View className="op-dashboard">
      {!data && !error ? <Loading /> : null}
      {data ? (
        <>
          <DashboardStats d={data} />
          <Text className="op-dash-at">更新于 {hhmm(data.at)}，每 {DASHBOARD_REFRESH_MS / 1000} 秒自动刷新</Text>
        </>
      ) : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

export default function OpParkPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const park = useLoader(() => opCall(opParkEndpoints.park, { params: { parkNumber } }), [parkNumber]);
  const role = opSession()?.operator.role;
  const sections = SECTIONS.filter((s) => role && s.roles.includes(role));
  const title = park.state === 'ok' ? (park.data.name ?? park.data.parkNumber) : '车场';
  return (
    <OpPage title={title} className="op-park-page">
      <Text className="muted">车场编号 {parkNumber}</Text>
      {park.state === 'error' ? <OpError error={park.error} onRetry={park.reload} /> : null}
      {park.state === 'loading' ? <Loading /> : null}
      {park.state === 'ok' && role && role !== 'merchant' ? <Dashboard parkNumber={parkNumber} /> : null}
      <View className="op-grid op-grid-3">
        {sections.map((s) => (
          <View key={s.page} className={`op-tile op-section op-section-${s.page}`} onClick={() => goOp(s.page, { park: parkNumber })}>
            <Text className="op-tile-title">{s.title}</Text>
            <Text className="muted">{s.hint}</Text>
          </View>
        ))}
      </View>
    </OpPage>
  );
}
