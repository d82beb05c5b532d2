/**
 * The plate keyboard's rules, as pure functions: what a Chinese plate may have at each position.
 * 1st: a province (or 临); 2nd: a letter; then letters and digits — never I or O (they read as 1 and 0);
 * the 7th may be a suffix (挂学警港澳领); an 8th character makes a new-energy plate.
 */
export const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼临'.split('');
export const PLATE_DIGITS = '1234567890'.split('');
export const PLATE_LETTERS = 'QWERTYUPASDFGHJKLZXCVBNM'.split('');
export const PLATE_SUFFIXES = '挂学警港澳领'.split('');
export const PLATE_MAX = 8;

const SUFFIX_AT = 6;

/** Which panel the keyboard shows for the next character. */
export function panelFor(value: string): 'province' | 'alnum' {
  return value.length === 0 ? 'province' : 'alnum';
}

/** May `key` be typed after `value`? */
export function canType(value: string, key: string): boolean {
  const chars = Array.from(value);
  const pos = chars.length;
  if (pos >= PLATE_MAX) return false;
  // Nothing after a suffix.
  if (pos > 0 && PLATE_SUFFIXES.includes(chars[pos - 1]!)) return false;
  if (pos === 0) return PLATE_PROVINCES.includes(key);
  if (pos === 1) return PLATE_LETTERS.includes(key);
  if (PLATE_SUFFIXES.includes(key)) return pos === SUFFIX_AT;
  return PLATE_LETTERS.includes(key) || PLATE_DIGITS.includes(key);
}

export function typeKey(value: string, key: string): string {
  return canType(value, key) ? value + key : value;
}

export function backspace(value: string): string {
  return Array.from(value).slice(0, -1).join('');
}
