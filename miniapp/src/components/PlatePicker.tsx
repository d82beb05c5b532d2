/**
 * Pick a bound plate with one tap, or one typed lately, or type one on the plate keyboard (open at once when
 * none is bound).
 */
import { Button, Text, View } from '@tarojs/components';
import { useEffect, useState } from 'react';
import { meEndpoints } from '@shared/api/me';
import { isPlausiblePlate, normalizePlate } from '@shared/plate';
import { useLoader } from '../hooks/useLoader';
import { call } from '../services/api';
import { rememberTypedPlate, typedPlates } from '../services/memory';
import { PlateKeyboard } from './PlateKeyboard';
import { ErrorState, Spinner } from './ui';

export function PlatePicker({
  onPick,
  actionText = '查询费用',
  busy = false,
  autoOpen = true,
}: {
  onPick: (plate: string) => void;
  actionText?: string;
  busy?: boolean;
  /** Bring the keys up by themselves when no plate is bound (not where the plate is not the page's point). */
  autoOpen?: boolean;
}) {
  const plates = useLoader(() => call(meEndpoints.listPlates, {}), []);
  const [typed, setTyped] = useState('');
  const [open, setOpen] = useState(false);
  const none = plates.state === 'ok' && plates.data.plates.length === 0;
  // Nothing to tap: the keys come up by themselves.
  useEffect(() => {
    if (none && autoOpen) setOpen(true);
  }, [none, autoOpen]);
  const pick = (plate: string, typedIn = false) => {
    setOpen(false);
    if (typedIn) rememberTypedPlate(plate);
    onPick(plate);
  };
  const bound = plates.state === 'ok' ? new Set(plates.data.plates.map((p) => normalizePlate(p.plate))) : new Set<string>();
  // Once the bound plates are known: a plate bound since it was typed is among them already.
  const recent = plates.state === 'loading' ? [] : typedPlates().filter((p) => !bound.has(normalizePlate(p)));
  return (
    <View className="picker">
      <Text className="section-title">我的车牌</Text>
      {plates.state === 'loading' ? (
        <View className="wait">
          <Spinner small />
          <Text className="muted">加载车牌…</Text>
        </View>
      ) : null}
      {plates.state === 'error' ? <ErrorState error={plates.error} onRetry={plates.reload} /> : null}
      {plates.state === 'ok' ? (
        plates.data.plates.length ? (
          <View className="chips">
            {plates.data.plates.map((p) => (
              <View key={p.plateKey} className="chip" onClick={() => !busy && pick(p.plate)}>
                <Text>{p.plate}</Text>
              </View>
            ))}
          </View>
        ) : (
          <Text className="muted">还没有绑定车牌，请在下面输入</Text>
        )
      ) : null}
      {recent.length ? (
        <>
          <Text className="section-title">最近输入</Text>
          <View className="chips chips-recent">
            {recent.map((p) => (
              <View key={p} className="chip" onClick={() => !busy && pick(p)}>
                <Text>{p}</Text>
              </View>
            ))}
          </View>
        </>
      ) : null}
      <Text className="section-title">输入车牌</Text>
      <PlateKeyboard value={typed} onChange={setTyped} open={open} onOpenChange={setOpen}>
        <Button className="btn btn-primary" disabled={!isPlausiblePlate(typed) || busy} loading={busy} onClick={() => isPlausiblePlate(typed) && !busy && pick(typed, true)}>
          {actionText}
        </Button>
      </PlateKeyboard>
    </View>
  );
}
