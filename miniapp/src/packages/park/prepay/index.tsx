/**
 * Pre-pay before driving to the exit: the park (from the lane code, the last one, or chosen from the park
 * list), its tariff, a plate → the pay page. Without a park the driver chooses one first.
 */
import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect } from 'react';
import { parkEndpoints } from '@shared/api/parks';
import { WaysOn } from '../../../components/DeadEnd';
import { ParkService } from '../../../components/ParkService';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call } from '../../../services/api';
import { lastPark, rememberPark } from '../../../services/memory';
import { go, pageUrl, param } from '../../../services/routes';

export default function PrepayPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const park = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }) : undefined), [parkNumber]);
  useEffect(() => {
    if (!parkNumber) void Taro.redirectTo({ url: pageUrl('parks', { next: 'prepay' }) });
  }, [parkNumber]);
  const known = park.state === 'ok' ? park.data?.parkNumber : undefined;
  useEffect(() => {
    if (known) rememberPark(known);
  }, [known]);
  if (!parkNumber) return <Loading text="请选择停车场…" />;
  if (park.state === 'loading') return <Loading />;
  if (park.state === 'error') {
    return (
      <View className="page">
        <ErrorState error={park.error} onRetry={park.reload} actions={<WaysOn />} />
      </View>
    );
  }
  const p = park.data!;
  return (
    <View className="page page-prepay">
      <Text className="page-title">{p.name} · 提前缴费</Text>
      <View className="row">
        <Text className="muted">缴费后请在规定时间内离场，出口道闸自动抬起。</Text>
        <Text className="row-value service-phone" onClick={() => go('parks', { next: 'prepay' })}>
          换停车场
        </Text>
      </View>
      <PlatePicker onPick={(plate) => go('pay', { kind: 'prepay', park: p.parkNumber, plate })} />
      <ParkService service={p.service} />
    </View>
  );
}
