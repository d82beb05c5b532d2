/**
 * What the park's operator says about prices and service (收费标准): the tariff in their words, the free
 * minutes after entry, the free exit time after paying, the service phone (a tap calls it) and the address.
 * Nothing at all when the operator said nothing.
 */
import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { ParkServiceInfo } from '@shared/api/parks';
import { Row } from './ui';
import './driver.css';

function call(phone: string): void {
  try {
    void Promise.resolve(Taro.makePhoneCall({ phoneNumber: phone.replace(/[^\d+-]/g, '') })).catch(() => undefined);
  } catch {
    // the number stays on screen to dial by hand
  }
}

export function ParkService({ service, compact = false }: { service: ParkServiceInfo | undefined; /** Only the tariff and free times (the pay page). */ compact?: boolean }) {
  if (!service) return null;
  const { tariffText, freeMinutes, paidFreeMinutes, phone, address } = service;
  if (!tariffText && freeMinutes === null && paidFreeMinutes === null && (compact || (!phone && !address))) return null;
  return (
    <View className="card service-card">
      <Text className="section-title">收费标准</Text>
      {tariffText ? <Text className="tariff">{tariffText}</Text> : null}
      {freeMinutes !== null ? <Row label="免费停车">入场 {freeMinutes} 分钟内</Row> : null}
      {paidFreeMinutes !== null ? <Row label="缴费后离场">{paidFreeMinutes} 分钟内免费</Row> : null}
      {!compact && address ? <Row label="地址">{address}</Row> : null}
      {!compact && phone ? (
        <View className="row" onClick={() => call(phone)}>
          <Text className="row-label">服务电话</Text>
          <Text className="row-value service-phone">{phone}</Text>
        </View>
      ) : null}
    </View>
  );
}
