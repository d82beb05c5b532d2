/**
 * Pre-pay before driving to the exit: the park (from the lane code, the last one, or chosen from the park
 * list), its tariff, a plate → the pay page. Without a park the driver chooses one first.
 */
import { Text, View } from '@tarojs/components';
import { ParkService } from '../../../components/ParkService';
import { PlatePicker } from '../../../components/PlatePicker';
import { useChosenPark } from '../../../hooks/useChosenPark';
import { go } from '../../../services/routes';

export default function PrepayPage() {
  const { park: p, gate } = useChosenPark('prepay');
  if (!p) return gate ?? null;
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
