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

/**
 * The keyboard's rows, ten key widths each at most (a key is a tenth of the screen: at 320 px a 32 px target),
 * with the delete key two widths wide at the end of the row that has room for it.
 */
export const PROVINCE_ROWS: string[][] = [PLATE_PROVINCES.slice(0, 10), PLATE_PROVINCES.slice(10, 20), PLATE_PROVINCES.slice(20, 30), PLATE_PROVINCES.slice(30)];
export const ALNUM_ROWS: string[][] = [
  PLATE_DIGITS,
  PLATE_LETTERS.slice(0, 8), // Q W E R T Y U P
  PLATE_LETTERS.slice(8, 17), // A S D F G H J K L
  PLATE_LETTERS.slice(17), // Z X C V B N M
  PLATE_SUFFIXES,
];
/** The row (index) that ends with the delete key. */
export const DELETE_ROW = { province: PROVINCE_ROWS.length - 1, alnum: 3 } as const;
