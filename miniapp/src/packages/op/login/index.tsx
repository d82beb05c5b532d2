/**
 * Operator login (username + password → POST /api/op/auth/login). The operator's session is stored apart
 * from the driver's; an operator already logged in goes straight on to their parks.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { OpError, OpPage, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { OP_PAGES } from '../services/routes';
import { opLogin, opSession } from '../services/session';

export default function OpLoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();

  useEffect(() => {
    if (opSession()) void Taro.redirectTo({ url: OP_PAGES.parks });
  }, []);

  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await opLogin(username, password);
      setPassword('');
      void Taro.redirectTo({ url: OP_PAGES.parks });
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <OpPage title="车场管理登录" className="op-login-page">
      <View className="card op-login">
        <View className="op-field">
          <Text className="op-field-label">用户名</Text>
          <Input className="op-input op-username" value={username} placeholder="用户名" onInput={(e) => setUsername(e.detail.value)} />
        </View>
        <View className="op-field">
          <Text className="op-field-label">密码</Text>
          <Input className="op-input op-password" password value={password} placeholder="密码" onInput={(e) => setPassword(e.detail.value)} onConfirm={submit} />
        </View>
        <Button className="btn btn-primary op-login-submit" disabled={busy || !username.trim() || !password} onClick={submit}>
          {busy ? '正在登录…' : '登录'}
        </Button>
        {error ? <OpError error={error} /> : null}
        <Text className="muted">供停车场运营人员使用。司机缴费请扫描车道旁的二维码。</Text>
      </View>
    </OpPage>
  );
}
