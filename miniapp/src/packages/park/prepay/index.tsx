/** Pre-pay before driving to the exit: the park (from the lane code or the last one), a plate → the pay page. */
import { Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { parkEndpoints } from '@shared/api/parks';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call } from '../../../services/api';
import { lastPark } from '../../../services/memory';
import { go, param } from '../../../services/routes';

export default function PrepayPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const park = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }) : undefined), [parkNumber]);
  if (!parkNumber) {
    return (
      <View className="page">
        <Notice title="请先扫描车场的车道码" tone="info">
          <Text className="state-hint">扫描任意车道旁的二维码后，就可以在这里提前缴费。</Text>
        </Notice>
      </View>
    );
  }
  if (park.state === 'loading') return <Loading />;
  if (park.state === 'error') {
    return (
      <View className="page">
        <ErrorState error={park.error} onRetry={park.reload} />
      </View>
    );
  }
  return (
    <View className="page page-prepay">
      <Text className="page-title">{park.data!.name} · 提前缴费</Text>
      <Text className="muted">缴费后请在规定时间内离场，出口道闸自动抬起。</Text>
      <PlatePicker onPick={(plate) => go('pay', { kind: 'prepay', park: parkNumber, plate })} />
    </View>
  );
}
