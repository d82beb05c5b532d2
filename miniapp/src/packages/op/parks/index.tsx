/** The parks this operator may see (admins: all); each opens its park page. The audit log from here. */
import { Text, View } from '@tarojs/components';
import { opParkEndpoints } from '@shared/api/op-parks';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { OpError, OpPage } from '../components/OpUi';
import { goOp } from '../services/routes';
import { opCall, opSession } from '../services/session';

export default function OpParksPage() {
  const parks = useLoader(() => opCall(opParkEndpoints.listParks, {}), []);
  const role = opSession()?.operator.role;
  return (
    <OpPage title="我的车场" className="op-parks">
      {parks.state === 'loading' ? <Loading /> : null}
      {parks.state === 'error' ? <OpError error={parks.error} onRetry={parks.reload} /> : null}
      {parks.state === 'ok' && parks.data.parks.length === 0 ? <Text className="muted">还没有可管理的车场</Text> : null}
      {parks.state === 'ok' ? (
        <View className="op-grid">
          {parks.data.parks.map((p) => (
            <View key={p.parkNumber} id={`park-${p.parkNumber}`} className="op-tile op-park" onClick={() => goOp('park', { park: p.parkNumber })}>
              <Text className="op-tile-title">{p.name ?? p.parkNumber}</Text>
              <Text className="muted">
                {p.parkNumber}
                {p.hasKey ? '' : ' · 未设置蓝卡密钥'}
              </Text>
            </View>
          ))}
        </View>
      ) : null}
      <View className="op-actions op-parks-links">
        <Text className="op-link op-accounts-link" onClick={() => goOp('accounts')}>
          {role === 'admin' ? '账号管理' : '我的账号 · 修改密码'}
        </Text>
        {role !== 'merchant' ? (
          <Text className="op-link op-audit-link" onClick={() => goOp('audit')}>
            操作日志
          </Text>
        ) : null}
      </View>
    </OpPage>
  );
}
