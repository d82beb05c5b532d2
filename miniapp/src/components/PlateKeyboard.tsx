/**
 * A plate keyboard for Chinese plates: the province panel first, then letters (no I/O) and digits, the
 * suffixes at the 7th place, and an 8th box for new-energy plates. Checked with shared/plate.ts.
 */
import { Text, View } from '@tarojs/components';
import { isPlausiblePlate } from '@shared/plate';
import { PLATE_DIGITS, PLATE_LETTERS, PLATE_MAX, PLATE_PROVINCES, PLATE_SUFFIXES, backspace, canType, panelFor, typeKey } from '../services/plateKeys';

export interface PlateKeyboardProps {
  value: string;
  onChange: (value: string) => void;
}

function Key({ k, value, onChange }: { k: string; value: string; onChange: (v: string) => void }) {
  const ok = canType(value, k);
  return (
    <View className={`pk-key${ok ? '' : ' pk-key-off'}`} data-key={k} onClick={() => ok && onChange(typeKey(value, k))}>
      <Text>{k}</Text>
    </View>
  );
}

export function PlateKeyboard({ value, onChange }: PlateKeyboardProps) {
  const chars = Array.from(value);
  const panel = panelFor(value);
  const plausible = isPlausiblePlate(value);
  const rows =
    panel === 'province'
      ? [PLATE_PROVINCES.slice(0, 10), PLATE_PROVINCES.slice(10, 20), PLATE_PROVINCES.slice(20)]
      : [PLATE_DIGITS, PLATE_LETTERS.slice(0, 8), PLATE_LETTERS.slice(8, 17), PLATE_LETTERS.slice(17), PLATE_SUFFIXES];
  return (
    <View className="pk">
      <View className="pk-boxes">
        {Array.from({ length: PLATE_MAX }, (_, i) => (
          <View key={i} className={`pk-box${i === chars.length ? ' pk-box-current' : ''}${i === PLATE_MAX - 1 ? ' pk-box-ev' : ''}`}>
            <Text>{chars[i] ?? (i === PLATE_MAX - 1 ? '新能源' : '')}</Text>
          </View>
        ))}
      </View>
      <Text className={`pk-status${plausible ? ' pk-status-ok' : ''}`}>
        {value.length === 0 ? '请输入车牌号' : plausible ? `车牌 ${value}` : chars.length < 7 ? '继续输入…' : '车牌号格式不对'}
      </Text>
      <View className="pk-keys">
        {rows.map((row, i) => (
          <View key={i} className="pk-row">
            {row.map((k) => (
              <Key key={k} k={k} value={value} onChange={onChange} />
            ))}
            {i === rows.length - 1 ? (
              <View className="pk-key pk-key-del" data-key="del" onClick={() => onChange(backspace(value))}>
                <Text>删除</Text>
              </View>
            ) : null}
          </View>
        ))}
      </View>
    </View>
  );
}
