/**
 * The H5 demo's login: the driver says who they are (a name; the same name is the same driver, with their
 * plates and payments), and may switch to another one. WeChat and Alipay builds log in by themselves.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { DEMO_NAME } from '@shared/api/auth';
import { demoName, errorOf, login, setDemoName } from '../services/api';

export function DemoLogin({ onDone, title = '演示登录' }: { onDone?: (name: string) => void; title?: string }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const trimmed = name.trim();
  const ok = DEMO_NAME.test(trimmed);
  const submit = async () => {
    if (!ok || busy) return;
    setBusy(true);
    setError(undefined);
    const before = demoName();
    setDemoName(trimmed);
    try {
      await login();
      onDone?.(trimmed);
    } catch (e) {
      setDemoName(before);
      setError(errorOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card demo-login">
      <Text className="section-title">{title}</Text>
      <Text className="muted">输入一个名字即可（字母、数字或中文）。同一个名字就是同一个用户，车牌和缴费记录都会保留。</Text>
      <Input className="input demo-name" value={name} placeholder="你的名字，如 zhang" maxlength={32} onInput={(e) => setName(e.detail.value)} onConfirm={submit} />
      {name && !ok ? <Text className="muted">名字只能用 1–32 个字母、数字、_ . - 或中文</Text> : null}
      {error ? <Text className="state-hint">{error}</Text> : null}
      <Button className="btn btn-primary" disabled={!ok || busy} loading={busy} onClick={submit}>
        登录
      </Button>
    </View>
  );
}

/** "演示用户 zhang · 换一个用户": who is logged in, and a way to be someone else. */
export function DemoUser({ onSwitch }: { onSwitch: () => void }) {
  const name = demoName();
  return (
    <View className="row demo-user">
      <Text className="row-label">演示模式 · 用户 {name ?? '未登录'}</Text>
      <Text
        className="row-value service-phone"
        onClick={() => {
          setDemoName(undefined);
          onSwitch();
        }}
      >
        {name ? '换一个用户' : ''}
      </Text>
    </View>
  );
}
