/**
 * After paying: "leave before HH:mm" and the time left counting down, a reminder once 3 minutes are left
 * (shown, and the phone buzzes once), and nothing more to count once the car has left.
 */
import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useEffect, useRef } from 'react';
import { useNow } from '../hooks/useNow';
import { countdown, hhmm } from '../services/format';
import './driver.css';

/** How long before the free exit time ends the driver is reminded. */
export const REMIND_BEFORE_MS = 3 * 60_000;

function remind(): void {
  try {
    void Promise.resolve(Taro.vibrateShort({ type: 'heavy' })).catch(() => undefined);
    void Promise.resolve(Taro.showToast({ title: '离场时间只剩 3 分钟', icon: 'none', duration: 3000 })).catch(() => undefined);
  } catch {
    // a phone that cannot buzz or toast still shows the reminder on the page
  }
}

export function LeaveCountdown({ leaveBy, leftAt, freeMinutes }: { leaveBy: string; /** The car left (the lot's exit record). */ leftAt?: string | null; /** The free exit time after paying. */ freeMinutes?: number }) {
  const until = Date.parse(leaveBy);
  const now = useNow(1000, !leftAt);
  const left = until - now;
  const reminded = useRef(false);
  const soon = !leftAt && left > 0 && left <= REMIND_BEFORE_MS;
  useEffect(() => {
    if (soon && !reminded.current) {
      reminded.current = true;
      remind();
    }
  }, [soon]);
  if (leftAt) {
    return (
      <View className="leave leave-done">
        <Text className="leave-left-ok">车辆已于 {hhmm(leftAt)} 离场</Text>
      </View>
    );
  }
  return (
    <View className="leave">
      <Text className="leave-by">请在 {hhmm(leaveBy)} 前离场</Text>
      {freeMinutes ? <Text className="leave-free">缴费后免费离场时间 {freeMinutes} 分钟</Text> : null}
      {left > 0 ? <Text className="leave-left">剩余离场时间 {countdown(left)}</Text> : <Text className="leave-late">已超过离场时间，出场时可能需要补缴</Text>}
      {soon ? <Text className="leave-soon">离场时间只剩不到 3 分钟，请尽快驶出</Text> : null}
    </View>
  );
}
