/**
 * A China date and time picked, not typed: the platform's date picker and time picker side by side
 * (WeChat/Alipay native, H5 Taro's), for a value kept as "yyyy-MM-dd HH:mm".
 */
import { Picker, Text, View } from '@tarojs/components';

export function DateTimeField({ value, onChange, className, start }: { value: string; onChange: (v: string) => void; className: string; start?: string }) {
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : '';
  const time = /\d{2}:\d{2}$/.test(value) ? value.slice(-5) : '';
  return (
    <View className={`op-datetime ${className}`}>
      <Picker mode="date" value={date} start={start} onChange={(e) => onChange(`${String(e.detail.value)} ${time || '00:00'}`)}>
        <Text className="op-input op-datetime-date">{date || '选择日期'}</Text>
      </Picker>
      <Picker mode="time" value={time} onChange={(e) => onChange(`${date} ${String(e.detail.value)}`)}>
        <Text className="op-input op-datetime-time">{time || '选择时间'}</Text>
      </Picker>
    </View>
  );
}
