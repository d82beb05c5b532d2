/**
 * Plates arrive spelled many ways: "京 A12345", "京A12345", "京a12345", URL-encoded in 4.27
 * ("%E4%BA%ACA12345"). We look plates up by a normalized key and keep the original spelling for echoing
 * back to Bluecard exactly as it was given.
 */

/** Decode a URL-encoded plate when it looks encoded; leave anything else alone. */
export function decodePlate(raw: string): string {
  if (!/%[0-9a-fA-F]{2}/.test(raw) && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The lookup key of a plate: decoded, all white space (including full-width) removed, middle dots
 * ("京A·12345") removed, letters upper-cased, full-width letters and digits folded to ASCII.
 */
export function normalizePlate(raw: string): string {
  return decodePlate(raw)
    .normalize('NFKC') // full-width Ａ１ → A1
    .replace(/[\s\u3000·•.-]/g, '')
    .toUpperCase();
}

/** Province abbreviations and the special first characters Chinese plates start with. */
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领';
const PLATE = new RegExp(
  `^(?:[${PROVINCES}][A-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[挂学警港澳领])|临[A-Z0-9\u4e00-\u9fa5]{5,8}|WJ[0-9A-Z\u4e00-\u9fa5]{5,7})$`,
);

/**
 * A plausible Chinese plate (ordinary 7 characters, new-energy 8 with D/F, trailer/school/police/HK/Macau
 * suffixes, temporary 临 plates). Used to check what drivers type; never to reject what Bluecard sends.
 */
export function isPlausiblePlate(raw: string): boolean {
  return PLATE.test(normalizePlate(raw));
}
