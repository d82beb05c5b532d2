/**
 * The operator pages' frame and states: a header (who is logged in, back to the parks, log out), errors
 * with operator wording (an ended session offers the login), and an inline "are you sure" step.
 */
import { Button, Text, View } from '@tarojs/components';
import { useEffect, type ReactNode } from 'react';
import { opErrorText, type OpErr } from '../services/errors';
import { goOp, toLogin } from '../services/routes';
import { opLogout, opSession, ROLE_NAMES } from '../services/session';
import { platform } from '../../../services/platform';
import '../op.css';

export type Err = OpErr;

export function OpError({ error, onRetry }: { error: Err; onRetry?: () => void }) {
  const t = opErrorText(error);
  return (
    <View className={`state state-error state-${error.code}`}>
      <Text className="state-title">{t.title}</Text>
      {t.hint ? <Text className="state-hint">{t.hint}</Text> : null}
      {error.code === 'unauthenticated' ? (
        <Button className="btn btn-primary" onClick={toLogin}>
          去登录
        </Button>
      ) : t.retry && onRetry ? (
        <Button className="btn btn-secondary" onClick={onRetry}>
          重试
        </Button>
      ) : null}
    </View>
  );
}

/** A short result line after an action (saved, lifted, …). */
export function Flash({ text, tone = 'ok' }: { text: string; tone?: 'ok' | 'warn' }) {
  return <Text className={`op-flash op-flash-${tone}`}>{text}</Text>;
}

/**
 * Desktop browsers: the H5 build scales its rem with the window (capped), which makes an operator console
 * on a wide screen huge; while an operator page is open the root size is held smaller (op.css).
 */
function useDeskScale(): void {
  useEffect(() => {
    if (platform() !== 'h5' || typeof document === 'undefined') return;
    const root = document.documentElement;
    root.classList.add('op-desk');
    return () => root.classList.remove('op-desk');
  }, []);
}

export function OpPage({ title, parkNumber, className, children }: { title: string; parkNumber?: string; className?: string; children: ReactNode }) {
  useDeskScale();
  const s = opSession();
  const logout = async () => {
    await opLogout();
    toLogin();
  };
  return (
    <View className={`page op-page${className ? ` ${className}` : ''}`}>
      <View className="op-bar">
        <Text className="op-brand" onClick={() => goOp('parks')}>
          ParkPay 车场管理
        </Text>
        {s ? (
          <View className="op-who">
            <Text className="op-user">
              {s.operator.displayName ?? s.operator.username} · {ROLE_NAMES[s.operator.role]}
            </Text>
            <Text className="op-link op-logout" onClick={logout}>
              退出登录
            </Text>
          </View>
        ) : null}
      </View>
      <View className="op-head">
        <Text className="page-title">{title}</Text>
        {parkNumber ? (
          <Text className="op-link op-park-link" onClick={() => goOp('park', { park: parkNumber })}>
            车场 {parkNumber}
          </Text>
        ) : null}
      </View>
      {children}
    </View>
  );
}

/** One of a few values, as tags to tap (the same on every platform). */
export function Choice<T extends string>({ value, options, onChange, className }: { value: T; options: readonly { value: T; label: string }[]; onChange: (v: T) => void; className?: string }) {
  return (
    <View className={`op-choices${className ? ` ${className}` : ''}`}>
      {options.map((o) => (
        <Text key={o.value} className={`op-choice${o.value === value ? ' op-choice-on' : ''}`} onClick={() => onChange(o.value)}>
          {o.label}
        </Text>
      ))}
    </View>
  );
}

/** A labelled field; `hint`: one line on what it changes, under it. */
export function Field({ label, hint, tag, children, className }: { label: string; hint?: string; tag?: string; children: ReactNode; className?: string }) {
  return (
    <View className={`op-field${className ? ` ${className}` : ''}`}>
      <Text className="op-field-label">
        {label}
        {tag ? <Text className="op-tag">{tag}</Text> : null}
      </Text>
      {children}
      {hint ? <Text className="op-field-hint">{hint}</Text> : null}
    </View>
  );
}

/** A column of an OpTable: its title, and 'wide' / 'narrow' when its cells are (op-td-wide / op-td-narrow). */
export type Column = string | readonly [title: string, width: 'wide' | 'narrow'];

/**
 * A table: a header row, then the rows (each an `op-tr` of `op-td` cells, a wide or narrow column's cells
 * with op-td-wide / op-td-narrow as its column says). At least `minWidth` design px wide (one of the
 * op-w-* classes; a phone's card holds about 880): wider than the card, it scrolls sideways inside it, the
 * page does not.
 */
export function OpTable({ head, minWidth, className, children }: { head: readonly Column[]; minWidth?: 880 | 1100 | 1300; className?: string; children: ReactNode }) {
  return (
    <View className="op-scroll">
      <View className={`op-table${minWidth ? ` op-w-${minWidth}` : ''}${className ? ` ${className}` : ''}`}>
        <View className="op-tr op-th">
          {head.map((h, i) => {
            const [title, width] = typeof h === 'string' ? [h, undefined] : h;
            return (
              <Text key={`${title}-${i}`} className={`op-td${width ? ` op-td-${width}` : ''}`}>
                {title}
              </Text>
            );
          })}
        </View>
        {children}
      </View>
    </View>
  );
}

/** A destructive or physical action's second step: what will happen, confirm or cancel. */
export function ConfirmBox({ prompt, confirmText, busy, onConfirm, onCancel, children }: { prompt: string; confirmText: string; busy?: boolean; onConfirm: () => void; onCancel: () => void; children?: ReactNode }) {
  return (
    <View className="op-confirm">
      <Text className="op-confirm-prompt">{prompt}</Text>
      {children}
      <View className="op-actions">
        <Button className="btn btn-danger" disabled={busy} onClick={onConfirm}>
          {confirmText}
        </Button>
        <Button className="btn btn-secondary" disabled={busy} onClick={onCancel}>
          取消
        </Button>
      </View>
    </View>
  );
}
