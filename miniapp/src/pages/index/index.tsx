/**
 * Home. A scanned lane code that landed here (WeChat's `q`, Alipay's launch qrCode, H5's /q/ URL) goes
 * straight on to the lane page; otherwise the driver's shortcuts. The H5 demo asks who the driver is (a
 * name) and lets them switch to another.
 */
import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { DemoLogin, DemoUser } from '../../components/DemoLogin';
import { demoName } from '../../services/api';
import { LANE_PAGE, lanePageUrl } from '../../services/laneLink';
import { resolveLane } from '../../services/launch';
import { lastPark } from '../../services/memory';
import { platform } from '../../services/platform';
import { go, type PageName } from '../../services/routes';

/** `park: 'last'`: opened with the last park (the page lets the driver choose another); none yet → the park list. */
const ENTRIES: { page: PageName; title: string; hint: string; park?: 'last' }[] = [
  { page: 'prepay', title: '停车缴费', hint: '选择停车场、输入车牌，出场前先缴费', park: 'last' },
  { page: 'parking', title: '我的停车', hint: '在场车辆、停车时长、入场照片和实时费用' },
  { page: 'findcar', title: '找我的车', hint: '输入车牌，在最近去过的停车场里找车位' },
  { page: 'history', title: '缴费记录', hint: '每一笔缴费、预约和无感支付，退款和原因' },
  { page: 'plates', title: '我的车牌', hint: '绑定车牌，缴费时一键选择；开通无感支付' },
  { page: 'park', title: '空余车位', hint: '车场空位和收费标准', park: 'last' },
  { page: 'offers', title: '预约车位', hint: '先付款预约，到场直接入场', park: 'last' },
  { page: 'pass', title: '月卡续费', hint: '查看月卡有效期，在线续费', park: 'last' },
  { page: 'bookings', title: '我的预约', hint: '预约状态、取消和退款' },
  { page: 'invoice', title: '电子发票', hint: '开票进度、发票 PDF' },
  { page: 'messages', title: '消息提醒', hint: '入场、缴费、离场和退款提醒' },
];

export default function Index() {
  const { params } = useRouter();
  const [scanned, setScanned] = useState(false);
  const [who, setWho] = useState(() => demoName());
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
  const demo = platform() === 'h5';
  return (
    <View className="page page-home">
      <View className="home-head">
        <Text className="title">ParkPay</Text>
        <Text className="hint">扫描车道旁的二维码进出停车场、缴纳停车费；没扫码也可以选择停车场缴费</Text>
        {demo && who ? <DemoUser onSwitch={() => setWho(undefined)} /> : null}
      </View>
      {demo && !who ? <DemoLogin title="演示登录：你是谁？" onDone={(name) => setWho(name)} /> : null}
      {ENTRIES.map((e) => (
        <View key={e.page} className="card menu-item" onClick={() => go(e.page, e.park && park ? { park } : {})}>
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
