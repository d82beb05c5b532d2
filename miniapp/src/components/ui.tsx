/** The states every screen shows the same way: waiting (with a spinner), an error with its meaning, a notice. */
import { Button, Text, View } from '@tarojs/components';
import { useEffect, useState, type ReactNode } from 'react';
import { errorText } from '../services/errors';
import { DemoLogin } from './DemoLogin';
import './driver.css';

export function Spinner({ small }: { small?: boolean }) {
  return <View className={`spinner${small ? ' spinner-small' : ''}`} />;
}

/** True once `ms` have passed since the component showed (a wait that takes longer than it should). */
export function useAfter(ms: number | undefined): boolean {
  const [late, setLate] = useState(false);
  useEffect(() => {
    if (ms === undefined) return undefined;
    const t = setTimeout(() => setLate(true), ms);
    return () => clearTimeout(t);
  }, [ms]);
  return late;
}

export function Loading({ text = '加载中…', slowText, slowAfterMs = 5_000 }: { text?: string; /** Said once the wait is long. */ slowText?: string; slowAfterMs?: number }) {
  const late = useAfter(slowText ? slowAfterMs : undefined);
  return (
    <View className="state state-loading">
      <Spinner />
      <Text className="state-title">{text}</Text>
      {late && slowText ? <Text className="wait-slow">{slowText}</Text> : null}
    </View>
  );
}

export function ErrorState({ error, onRetry, actions }: { error: { code: string; message: string }; onRetry?: () => void; /** More ways on (a page never ends in a dead end). */ actions?: ReactNode }) {
  const t = errorText(error);
  // The H5 demo asks who the driver is right where a call needed it, then carries on.
  if (error.code === 'demo_login_needed') return <DemoLogin onDone={onRetry ? () => onRetry() : undefined} />;
  return (
    <View className={`state state-error state-${error.code}`}>
      <Text className="state-title">{t.title}</Text>
      {t.hint ? <Text className="state-hint">{t.hint}</Text> : null}
      {t.retry && onRetry ? (
        <Button className="btn btn-secondary" onClick={onRetry}>
          重试
        </Button>
      ) : null}
      {actions}
    </View>
  );
}

export function Notice({ title, children, tone = 'info' }: { title: string; children?: ReactNode; tone?: 'info' | 'ok' | 'warn' }) {
  return (
    <View className={`state state-${tone}`}>
      <Text className="state-title">{title}</Text>
      {children}
    </View>
  );
}

export function Row({ label, children, strong }: { label: string; children: ReactNode; strong?: boolean }) {
  return (
    <View className={`row${strong ? ' row-strong' : ''}`}>
      <Text className="row-label">{label}</Text>
      <Text className="row-value">{children}</Text>
    </View>
  );
}
