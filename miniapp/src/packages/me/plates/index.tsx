/** My plates: bind (plate keyboard, at most 5) and unbind. */
import { Button, Text, View } from '@tarojs/components';
import { useEffect, useState } from 'react';
import { MAX_PLATES, meEndpoints } from '@shared/api/me';
import { isPlausiblePlate } from '@shared/plate';
import { PlateKeyboard } from '../../../components/PlateKeyboard';
import { ErrorState, Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { askConsent, prepareConsent } from '../../../services/consent';
import { go } from '../../../services/routes';

export default function PlatesPage() {
  const plates = useLoader(() => call(meEndpoints.listPlates, {}), []);
  const [typed, setTyped] = useState('');
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  /** The plate being unbound (its button spins). */
  const [unbinding, setUnbinding] = useState<string | undefined>();
  const [error, setError] = useState<{ code: string; message: string } | undefined>();

  const act = async (f: () => Promise<{ plates: { plate: string; plateKey: string; boundAt: string }[] }>) => {
    setBusy(true);
    setError(undefined);
    try {
      plates.set(await f());
      return true;
    } catch (e) {
      setError(errorOf(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void prepareConsent(), []);
  const bind = async () => {
    // Binding a plate is when WeChat lets us ask for message consent (entry, pass expiry).
    void askConsent('plate');
    if (await act(() => call(meEndpoints.bindPlate, { body: { plate: typed } }))) {
      setTyped('');
      setOpen(false);
    }
  };
  const unbind = async (plateKey: string) => {
    setUnbinding(plateKey);
    await act(() => call(meEndpoints.unbindPlate, { params: { plateKey } }));
    setUnbinding(undefined);
  };
  // No plate yet: the keys come up by themselves.
  const none = plates.state === 'ok' && plates.data.plates.length === 0;
  useEffect(() => {
    if (none) setOpen(true);
  }, [none]);

  if (plates.state === 'loading') return <Loading />;
  if (plates.state === 'error') return <ErrorState error={plates.error} onRetry={plates.reload} />;
  const list = plates.data.plates;
  return (
    <View className="page page-plates">
      <Text className="page-title">我的车牌（{list.length}/{MAX_PLATES}）</Text>
      {list.length === 0 ? <Text className="muted">还没有绑定车牌</Text> : null}
      {list.map((p) => (
        <View key={p.plateKey} className="card plate-item">
          <View className="plate-item-text">
            <Text className="plate-text">{p.plate}</Text>
            <Text className="muted">绑定于 {dateTime(p.boundAt)}</Text>
          </View>
          <Button className="btn btn-small btn-secondary" disabled={busy} loading={unbinding === p.plateKey} onClick={() => void unbind(p.plateKey)}>
            解绑
          </Button>
        </View>
      ))}
      {error ? <ErrorState error={error} /> : null}
      {list.length > 0 ? (
        <Button className="btn btn-secondary" onClick={() => go('agreements')}>
          无感支付：出场自动扣费
        </Button>
      ) : null}
      {list.length < MAX_PLATES ? (
        <View className="card">
          <Text className="section-title">绑定新车牌</Text>
          <PlateKeyboard value={typed} onChange={setTyped} open={open} onOpenChange={setOpen}>
            <Button className="btn btn-primary" disabled={busy || !isPlausiblePlate(typed)} loading={busy} onClick={bind}>
              绑定
            </Button>
          </PlateKeyboard>
        </View>
      ) : null}
    </View>
  );
}
