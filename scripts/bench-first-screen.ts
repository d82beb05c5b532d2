/**
 * Benchmark: the first screen after a scan — a lane link (/q/<park>/<lane>) opened in headless Chromium →
 * the lane page showing the park's lane ("东门入口 · 入口"), measured exactly as the browser e2e measures it
 * (test/e2e/h5-journeys.test.ts): wall time from page.goto to the text being visible. The real server in
 * demo mode serves the H5 build (npm run build:h5 first) on an embedded FerretDB (or MONGODB_URI).
 *
 *   npx tsx scripts/bench-first-screen.ts [runs=7] [--profile=e2e|phone|both] [--detail]
 *
 * (--detail prints each page's requests with their timings; PARKPAY_H5_DIR serves another build.)
 *
 * One run = a browser with a fresh profile (empty HTTP cache) opens lane 1 (cold), then lane 2 (warm: the
 * app's files cached, as the e2e's second scan). Profiles:
 * - e2e: no throttling, as the e2e test;
 * - phone: a mid-range phone on 4G — Chrome DevTools' "Fast 4G" network (165 ms RTT, 9 Mbit/s down,
 *   1.5 Mbit/s up, scaled ×0.9 as DevTools does) and 4× CPU slowdown.
 * Prints median, min, max per profile; inside the page (performance.now from the navigation's start) when
 * the text was put in the page and when it was first drawn visible — the wall time also holds the
 * browser's navigation and the test driver noticing it; the load average before and after (the machine
 * may be shared), and what the first page downloads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../server/src/config';
import { createLogger } from '../server/src/logger';
import { DEMO_PARK_NUMBER } from '../server/sandbox/bluecard';
import { startServer } from '../server/src/server';

const CHROMIUM = process.env.PARKPAY_E2E_CHROMIUM ?? '/usr/bin/chromium';
/** The build to serve: miniapp/dist/h5, or PARKPAY_H5_DIR (a copy, another build). */
const H5_DIR = path.resolve(process.env.PARKPAY_H5_DIR ?? path.resolve(__dirname, '../miniapp/dist/h5'));
const args = process.argv.slice(2);
const RUNS = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
const DETAIL = args.includes('--detail');
const PROFILE = (args.find((a) => a.startsWith('--profile='))?.slice('--profile='.length) ?? 'both') as 'e2e' | 'phone' | 'both';

interface Throttle {
  name: string;
  cpuRate: number;
  network?: { latency: number; downloadThroughput: number; uploadThroughput: number };
}
const PROFILES: Throttle[] = [
  { name: 'e2e (no throttling, as the e2e test)', cpuRate: 1 },
  {
    name: 'phone (Fast 4G: 165 ms RTT, 9 Mbit/s down; CPU 4× slower)',
    cpuRate: 4,
    network: { latency: 165, downloadThroughput: ((9 * 1024 * 1024) / 8) * 0.9, uploadThroughput: ((1.5 * 1024 * 1024) / 8) * 0.9 },
  },
].filter((p, i) => PROFILE === 'both' || (PROFILE === 'e2e' ? i === 0 : i === 1));

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

/** Records, inside the page, when a text first shows (a MutationObserver; performance.now()). */
const WATCH = `(() => {
  const want = ['东门入口 · 入口', '东门出口 · 出口'];
  const seen = {};
  const shown = {};
  window.__firstScreen = { seen, shown };
  const check = () => {
    // textContent: no layout (innerText would force one on every mutation and slow the page down).
    const t = document.body ? document.body.textContent || '' : '';
    for (const w of want) if (!(w in seen) && t.includes(w)) { seen[w] = performance.now(); requestAnimationFrame(() => visible(w)); }
  };
  // Then, frame by frame, when the element holding it is rendered visible (custom elements hydrated).
  const visible = (w) => {
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!n.data.includes(w) || !el) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && (!el.checkVisibility || el.checkVisibility({ visibilityProperty: true }))) { shown[w] = performance.now(); return; }
    }
    requestAnimationFrame(() => visible(w));
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

async function throttle(page: Page, t: Throttle): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  if (t.cpuRate !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: t.cpuRate });
  if (t.network) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...t.network });
  }
}

async function scan(page: Page, url: string, text: string): Promise<{ wall: number; inPage: number; shown: number; bytes: number }> {
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(url);
  await page.getByText(text).filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
  const wall = Date.now() - t0;
  const inPage = (await page.evaluate(`Math.round(window.__firstScreen.seen[${JSON.stringify(text)}] ?? -1)`)) as number;
  const shownAt = (await page.evaluate(`Math.round(window.__firstScreen.shown[${JSON.stringify(text)}] ?? -1)`)) as number;
  const bytes = (await page.evaluate(
    `performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((s, e) => s + (e.transferSize || 0), 0)`,
  )) as number;
  if (DETAIL) {
    const rows = (await page.evaluate(
      `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map((e) => [Math.round(e.startTime), Math.round(e.responseEnd), e.transferSize || 0, e.name.replace(location.origin, '')])`,
    )) as [number, number, number, string][];
    for (const [s, e, b, n] of rows) console.log(`    ${String(s).padStart(5)} → ${String(e).padStart(5)} ms ${String(Math.round(b / 1024)).padStart(4)} KB ${n}`);
    console.log(`    ${String(inPage).padStart(14)} ms: "${text}" in the page, ${shownAt} ms: shown`);
    const nav = (await page.evaluate(`(() => { const n = performance.getEntriesByType('navigation')[0]; return [Math.round(n.domContentLoadedEventEnd), Math.round(n.loadEventEnd)]; })()`)) as [number, number];
    console.log(`    ${String(nav[0]).padStart(14)} ms: DOMContentLoaded; ${nav[1]} ms: load`);
  }
  return { wall, inPage, shown: shownAt, bytes };
}

function initialAssets(): string {
  const html = readFileSync(path.join(H5_DIR, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  let br = 0;
  for (const f of files) {
    const b = readFileSync(path.join(H5_DIR, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
    br += brotliCompressSync(b).length;
  }
  const all = readdirSync(path.join(H5_DIR, 'js')).filter((f) => f.endsWith('.js'));
  const total = all.reduce((s, f) => s + statSync(path.join(H5_DIR, 'js', f)).size, 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return `index.html names ${files.length} files: ${kb(raw)} (gzip ${kb(gz)}, brotli ${kb(br)}); all JS of the build ${kb(total)} in ${all.length} files`;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-fs-'));
  console.log(`load average at start: ${load()} (${os.cpus().length} cores)`);
  console.log(initialAssets());
  const server = await startServer(
    loadConfig({
      PORT: '0',
      PARKPAY_DATA_DIR: dataDir,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: H5_DIR,
      ...(process.env.MONGODB_URI ? { MONGODB_URI: `${process.env.MONGODB_URI.replace(/\/?$/, '/')}pp_bench_fs_${Date.now()}` } : {}),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent') },
  );
  const P = DEMO_PARK_NUMBER;
  try {
    await server.demo!.sandboxes.bluecard.heartbeatNow(P);
    await server.demo!.sandboxes.bluecard.flushOutbox();
    console.log(`server ${server.url} (${server.engine.engine} ${server.engine.version}); ${RUNS} runs per profile\n`);
    for (const t of PROFILES) {
      const cold: number[] = [];
      const coldIn: number[] = [];
      const coldShown: number[] = [];
      const warm: number[] = [];
      const warmIn: number[] = [];
      const warmShown: number[] = [];
      let coldBytes = 0;
      let warmBytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const profile = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-fs-profile-'));
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          args: ['--no-sandbox', '--disable-background-networking', '--disable-quic', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          locale: 'zh-CN',
          timezoneId: 'Asia/Shanghai',
        });
        try {
          await context.addInitScript(WATCH);
          const page = context.pages()[0] ?? (await context.newPage());
          await throttle(page, t);
          const c = await scan(page, `${server.url}/q/${P}/1`, '东门入口 · 入口');
          const w = await scan(page, `${server.url}/q/${P}/2`, '东门出口 · 出口');
          cold.push(c.wall);
          coldIn.push(c.inPage);
          coldShown.push(c.shown);
          warm.push(w.wall);
          warmIn.push(w.inPage);
          warmShown.push(w.shown);
          coldBytes = c.bytes;
          warmBytes = w.bytes;
          console.log(`  ${t.name.split(' ')[0]} run ${i + 1}: cold ${c.wall} ms (in page ${c.inPage}, shown ${c.shown}), warm ${w.wall} ms (in page ${w.inPage}, shown ${w.shown})`);
        } finally {
          await context.close();
          rmSync(profile, { recursive: true, force: true });
        }
      }
      const fmt = (xs: number[]) => `median ${median(xs)} ms (min ${Math.min(...xs)}, max ${Math.max(...xs)})`;
      console.log(`${t.name}:`);
      console.log(`  cold (fresh profile): ${fmt(cold)}; in the page: text ${median(coldIn)} ms, shown ${median(coldShown)} ms; ${(coldBytes / 1024).toFixed(1)} KB transferred`);
      console.log(`  warm (files cached):  ${fmt(warm)}; in the page: text ${median(warmIn)} ms, shown ${median(warmShown)} ms; ${(warmBytes / 1024).toFixed(1)} KB transferred\n`);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`load average at end: ${load()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
