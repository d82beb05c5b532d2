/**
 * Home. A scanned lane code that landed here (WeChat's `q`, Alipay's launch qrCode, H5's /q/ URL) goes
 * straight on to the lane page; otherwise the driver's shortcuts.
 */
import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { demoName } from '../../services/api';
import { LANE_PAGE, lanePageUrl } from '../../services/laneLink';
import { resolveLane } from '../../services/launch';
import { lastPark } from '../../services/memory';
import { platform } from '../../services/platform';
import { go, type PageName } from '../../services/routes';

const ENTRIES: { page: PageName; title: string; hint: string; needsPark?: boolean }[] = [
  { page: 'prepay', title: '停车缴费', hint: '出场前先缴费，不用在出口排队', needsPark: true },
  { page: 'parking', title: '我的停车', hint: '在场车辆、入场照片和实时费用' },
  { page: 'plates', title: '我的车牌', hint: '绑定车牌，缴费时一键选择' },
  { page: 'history', title: '缴费记录', hint: '订单、退款和原因' },
  { page: 'park', title: '空余车位 · 找车', hint: '车场空位，以及我的车停在哪里', needsPark: true },
  { page: 'offers', title: '预约车位', hint: '先付款预约，到场直接入场', needsPark: true },
  { page: 'bookings', title: '我的预约', hint: '预约状态、取消和退款' },
];

export default function Index() {
  const { params } = useRouter();
  const [scanned, setScanned] = useState(false);
  useEffect(() => {
    const launch = resolveLane(params);
    if (launch.kind === 'lane') {
      setScanned(true);
      void Taro.redirectTo({ url: lanePageUrl(launch.lane) });
    } else if (launch.kind === 'damaged') {
      setScanned(true);
      void Taro.redirectTo({ url: `${LANE_PAGE}?qrCode=${encodeURIComponent(launch.raw)}` });
    }
  }, [params]);
  const park = lastPark();
  if (scanned) return <View className="page" />;
  return (
    <View className="page page-home">
      <View className="home-head">
        <Text className="title">ParkPay</Text>
        <Text className="hint">扫描车道旁的二维码进出停车场、缴纳停车费</Text>
        {platform() === 'h5' ? <Text className="muted">演示模式 · 用户 {demoName()}</Text> : null}
      </View>
      {ENTRIES.map((e) => (
        <View key={e.page} className="card menu-item" onClick={() => go(e.page, e.needsPark && park ? { park } : {})}>
          <Text className="menu-title">{e.title}</Text>
          <Text className="muted">{e.hint}</Text>
        </View>
      ))}
      {/* Operators: the console is a subpackage of its own (packages/op). */}
      <Text className="muted home-op-link" onClick={() => void Taro.navigateTo({ url: '/packages/op/login/index' })}>
        车场管理（运营人员登录）
      </Text>
    </View>
  );
}
