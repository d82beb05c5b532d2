/**
 * What an operator reads must be their language and fit their screen: no English machine text among the
 * visible text (route patterns, snake_case codes, English error sentences, protocol section numbers), and nothing wider than the
 * window (a wide table scrolls inside its card, the page does not).
 */
import type { Page } from 'playwright-core';

/** Machine text: an API route or route pattern, a snake_case code, an English validation sentence. */
export const MACHINE_TEXT: readonly RegExp[] = [
  /\/api\//,
  /\/:[A-Za-z]+/,
  /:[a-z]+[A-Z][A-Za-z]*/,
  /\b[a-z][a-z0-9]*_[a-z0-9_]+\b/,
  /\bis not a\b/i,
  // A protocol section number in a label: （4.16）, 4.32 白名单.
  /(?:（|\(|\s|^)4\.(?:[1-9]|[1-3]\d)(?=）|\)|\s|$)/,
];

export interface Readability {
  /** What matched MACHINE_TEXT, with some text around it. */
  machineText: string[];
  /** The document is wider than the window by this many CSS pixels (0: it fits). */
  overflowPx: number;
  /** Elements sticking out of the window outside a table's own scroll box (selector-ish descriptions). */
  sticking: string[];
}

/**
 * Read the visible text (hidden pages of Taro's H5 stack are not rendered text) and the page's width.
 * `data`: strings that are data and may look like codes (the demo park's number p_demo_001).
 */
export async function readability(page: Page, data: readonly string[] = []): Promise<Readability> {
  const r = (await page.evaluate(`(() => {
    const doc = document.documentElement;
    const width = window.innerWidth;
    const sticking = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
      if (el.closest('.op-scroll')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      sticking.push((el.tagName.toLowerCase() + '.' + String(el.className || '').split(/\\s+/).slice(0, 3).join('.')) + ' right=' + Math.round(box.right));
      if (sticking.length >= 8) break;
    }
    return { text: document.body.innerText, scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth), width, sticking };
  })()`)) as { text: string; scrollWidth: number; width: number; sticking: string[] };
  let text = r.text;
  for (const d of data) text = text.split(d).join(' ');
  const machineText: string[] = [];
  for (const re of MACHINE_TEXT) {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (const m of text.matchAll(g)) machineText.push(text.slice(Math.max(0, m.index! - 20), m.index! + m[0].length + 20).replace(/\s+/g, ' '));
  }
  return { machineText, overflowPx: Math.max(0, r.scrollWidth - r.width), sticking: r.sticking };
}

/**
 * Until no page shows its loading spinner and the browser has laid out and painted the current window size
 * (two animation frames): what is read or shot then is what the operator sees, with no guess at a delay.
 */
export async function settled(page: Page, timeout = 15_000): Promise<void> {
  await page.locator('.state-loading').filter({ visible: true }).first().waitFor({ state: 'hidden', timeout });
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
}
