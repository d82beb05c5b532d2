/**
 * A plate keyboard for Chinese plates: eight boxes (the 8th for new-energy plates) and, docked at the bottom
 * of the screen while open, the keys — the province panel first, then letters (no I/O) and digits, the
 * suffixes at the 7th place. Every key is a tenth of the screen's width (a 32 px target at 320 px; never a
 * row wider than the screen), the delete key two tenths. Tapping the boxes opens it, 完成 closes it; what
 * the page puts inside (its action button) stays right under the boxes, above the keys. Checked with
 * shared/plate.ts.
 */
import { Text, View } from '@tarojs/components';
import type { ReactNode } from 'react';
import { isPlausiblePlate } from '@shared/plate';
import { ALNUM_ROWS, DELETE_ROW, PLATE_MAX, PROVINCE_ROWS, backspace, canType, panelFor, typeKey } from '../services/plateKeys';
import './driver.css';

export interface PlateKeyboardProps {
  value: string;
  onChange: (value: string) => void;
  /** Whether the keys are shown (docked at the bottom of the screen). */
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** What goes right under the boxes (the action button). */
  children?: ReactNode;
}

function Key({ k, value, onChange }: { k: string; value: string; onChange: (v: string) => void }) {
  const ok = canType(value, k);
  return (
    <View className={`pk-key${ok ? '' : ' pk-key-off'}`} data-key={k} onClick={() => ok && onChange(typeKey(value, k))}>
      <Text className="pk-cap">{k}</Text>
    </View>
  );
}

export function PlateKeyboard({ value, onChange, open, onOpenChange, children }: PlateKeyboardProps) {
  const chars = Array.from(value);
  const panel = panelFor(value);
  const plausible = isPlausiblePlate(value);
  const rows = panel === 'province' ? PROVINCE_ROWS : ALNUM_ROWS;
  const status =
    value.length === 0 ? (open ? '请输入车牌号' : '点击上方方框输入车牌') : plausible ? `车牌 ${value}` : chars.length < 7 ? '继续输入…' : '车牌号格式不对';
  return (
    <View className="pk">
      <View className="pk-boxes" onClick={() => onOpenChange(true)}>
        {Array.from({ length: PLATE_MAX }, (_, i) => (
          <View key={i} className={`pk-box${open && i === chars.length ? ' pk-box-current' : ''}${i === PLATE_MAX - 1 ? ' pk-box-ev' : ''}`}>
            <Text>{chars[i] ?? (i === PLATE_MAX - 1 ? '新能源' : '')}</Text>
          </View>
        ))}
      </View>
      <Text className={`pk-status${plausible ? ' pk-status-ok' : ''}`}>{status}</Text>
      {children}
      {open ? (
        <>
          {/* Room at the end of the page, so nothing stays hidden under the docked keys. */}
          <View className={`pk-spacer pk-spacer-${panel}`} />
          <View className="pk-panel">
            <View className="pk-bar">
              <Text className="pk-bar-title">{panel === 'province' ? '选择省份简称' : '输入字母和数字'}</Text>
              <Text className="pk-done" data-key="done" onClick={() => onOpenChange(false)}>
                完成
              </Text>
            </View>
            {rows.map((row, i) => (
              <View key={`${panel}-${i}`} className="pk-row">
                {row.map((k) => (
                  <Key key={k} k={k} value={value} onChange={onChange} />
                ))}
                {i === DELETE_ROW[panel] ? (
                  <View className="pk-key pk-key-wide pk-key-del" data-key="del" onClick={() => onChange(backspace(value))}>
                    <Text className="pk-cap">删除</Text>
                  </View>
                ) : null}
              </View>
            ))}
          </View>
        </>
      ) : null}
    </View>
  );
}
