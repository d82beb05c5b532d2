import { View, Text } from '@tarojs/components';
import { fenToYuan } from '@shared/money';

/** The landing page. The driver journeys (lane QR, pay, pre-pay) arrive with the mini-program issue. */
export default function Index() {
  return (
    <View className="home">
      <Text className="title">ParkPay</Text>
      <Text className="hint">扫描车道二维码进出停车场、缴纳停车费 · 示例金额 ¥{fenToYuan(1250)}</Text>
    </View>
  );
}
