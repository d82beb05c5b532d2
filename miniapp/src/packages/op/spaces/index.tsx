/** Every guidance space now, by layer (4.33): counts and each space, taken or free (with the plate). */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { opLotEndpoints } from '@shared/api/op-lot';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime } from '../../../services/format';
import { param } from '../../../services/routes';
import { OpError, OpPage } from '../components/OpUi';
import { opCall } from '../services/session';

export default function OpSpacesPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const spaces = useLoader(() => opCall(opLotEndpoints.spaces, { params: { parkNumber } }), [parkNumber]);
  return (
    <OpPage title="车位" parkNumber={parkNumber} className="op-spaces">
      {spaces.state === 'loading' ? <Loading text="正在向车场查询车位…" /> : null}
      {spaces.state === 'error' ? <OpError error={spaces.error} onRetry={spaces.reload} /> : null}
      {spaces.state === 'ok' ? (
        <>
          <View className="card op-spaces-total">
            <Text className="big-number">
              空 {spaces.data.free}
              <Text className="muted"> / 共 {spaces.data.total}（占用 {spaces.data.occupied}）</Text>
            </Text>
            <Text className="muted">查询于 {dateTime(spaces.data.fetchedAt)}</Text>
            <Button className="btn btn-secondary btn-small" onClick={spaces.reload}>
              刷新
            </Button>
          </View>
          {spaces.data.layers.map((l) => (
            <View key={l.layerId} className="card op-layer" id={`layer-${l.layerId}`}>
              <Text className="section-title">
                {l.layerName} · 空 {l.free} / {l.total}
              </Text>
              <View className="op-space-grid">
                {l.spaces.map((sp) => (
                  <View key={sp.spaceId} className={`op-space${sp.occupied ? ' op-space-busy' : ''}`}>
                    <Text>{sp.spaceId}</Text>
                    {sp.occupied ? <Text className="op-space-plate">{'\n'}{sp.plate || '占用'}</Text> : null}
                  </View>
                ))}
              </View>
            </View>
          ))}
        </>
      ) : null}
    </OpPage>
  );
}
