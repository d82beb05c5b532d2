/** Pick a bound plate with one tap, or type one on the plate keyboard. */
import { Button, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { meEndpoints } from '@shared/api/me';
import { isPlausiblePlate } from '@shared/plate';
import { useLoader } from '../hooks/useLoader';
import { call } from '../services/api';
import { PlateKeyboard } from './PlateKeyboard';
import { ErrorState } from './ui';

export function PlatePicker({ onPick, actionText = '查询费用' }: { onPick: (plate: string) => void; actionText?: string }) {
  const plates = useLoader(() => call(meEndpoints.listPlates, {}), []);
  const [typed, setTyped] = useState('');
  return (
    <View className="picker">
      <Text className="section-title">我的车牌</Text>
      {plates.state === 'loading' ? <Text className="muted">加载车牌…</Text> : null}
      {plates.state === 'error' ? <ErrorState error={plates.error} onRetry={plates.reload} /> : null}
      {plates.state === 'ok' ? (
        plates.data.plates.length ? (
          <View className="chips">
            {plates.data.plates.map((p) => (
              <View key={p.plateKey} className="chip" onClick={() => onPick(p.plate)}>
                <Text>{p.plate}</Text>
              </View>
            ))}
          </View>
        ) : (
          <Text className="muted">还没有绑定车牌，请在下面输入</Text>
        )
      ) : null}
      <Text className="section-title">输入车牌</Text>
      <PlateKeyboard value={typed} onChange={setTyped} />
      <Button className="btn btn-primary" disabled={!isPlausiblePlate(typed)} onClick={() => isPlausiblePlate(typed) && onPick(typed)}>
        {actionText}
      </Button>
    </View>
  );
}
