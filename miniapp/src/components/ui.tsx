/** The states every screen shows the same way: loading, an error with its meaning, a notice. */
import { Button, Text, View } from '@tarojs/components';
import type { ReactNode } from 'react';
import { errorText } from '../services/errors';

export function Loading({ text = '加载中…' }: { text?: string }) {
  return (
    <View className="state state-loading">
      <Text className="state-title">{text}</Text>
    </View>
  );
}

export function ErrorState({ error, onRetry }: { error: { code: string; message: string }; onRetry?: () => void }) {
  const t = errorText(error);
  return (
    <View className={`state state-error state-${error.code}`}>
      <Text className="state-title">{t.title}</Text>
      {t.hint ? <Text className="state-hint">{t.hint}</Text> : null}
      {t.retry && onRetry ? (
        <Button className="btn btn-secondary" onClick={onRetry}>
          重试
        </Button>
      ) : null}
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
