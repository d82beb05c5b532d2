/** "Leave before HH:mm", and the time left counting down. */
import { Text, View } from '@tarojs/components';
import { useEffect, useState } from 'react';
import { countdown, hhmm } from '../services/format';

export function LeaveCountdown({ leaveBy }: { leaveBy: string }) {
  const until = Date.parse(leaveBy);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = until - now;
  return (
    <View className="leave">
      <Text className="leave-by">请在 {hhmm(leaveBy)} 前离场</Text>
      {left > 0 ? (
        <Text className="leave-left">剩余离场时间 {countdown(left)}</Text>
      ) : (
        <Text className="leave-late">已超过离场时间，出场时可能需要补缴</Text>
      )}
    </View>
  );
}
