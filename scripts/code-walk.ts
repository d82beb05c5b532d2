/**
 * Which of ParkPay's files a piece of work runs through, read from V8's precise coverage rather than by
 * hand: `start()` resets the call counters, `stop()` lists every function called since, by file. Used by
 * `bench-payment-to-barrier.ts --walk` to count the files and layer boundaries of one payment's way from
 * the notification to sendPayRes.
 *
 * A file is on the walk when one of its functions ran in every window (the intersection, so a timer that
 * fires during one payment does not count); a value read through tsx's export getters counts as a run.
 * Barrels (re-exports only) and type-only files run nothing of ours and are not counted; the stand-ins
 * (server/sandbox, server/src/sandbox in older trees) and scripts are not ParkPay. The stand-ins run in the
 * same process, so a shared/ file they use shows up whether or not ParkPay used it in the window.
 *
 * A boundary is a walked file's step into another layer (port, core, repository, adapter, and the server's
 * assembly at server/src/*.ts): it imports from walked files of that layer.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

const ROOT = path.resolve(__dirname, '..');
const OURS = [path.join(ROOT, 'server', 'src') + path.sep, path.join(ROOT, 'shared') + path.sep];
const NOT_OURS = [path.join(ROOT, 'server', 'src', 'sandbox') + path.sep];

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

function fileOf(url: string): string | undefined {
  if (!url.startsWith('file://')) return undefined;
  const file = fileURLToPath(url);
  if (!OURS.some((p) => file.startsWith(p)) || NOT_OURS.some((p) => file.startsWith(p))) return undefined;
  return path.relative(ROOT, file);
}

export function layerOf(file: string): string {
  const parts = file.split(path.sep);
  if (parts[0] === 'shared') return 'shared';
  return parts.length === 3 ? 'assembly' : parts[2]!;
}

export class CodeWalk {
  private readonly session = new inspector.Session();
  private readonly windows: Map<string, Set<string>>[] = [];

  async open(): Promise<void> {
    this.session.connect();
    await post(this.session, 'Profiler.enable');
    await post(this.session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  }

  /** Forget every call so far: the next `stop()` sees only what ran after this. */
  async start(): Promise<void> {
    await post(this.session, 'Profiler.takePreciseCoverage');
  }

  async stop(): Promise<void> {
    const { result } = await post<{ result: ScriptCoverage[] }>(this.session, 'Profiler.takePreciseCoverage');
    const ran = new Map<string, Set<string>>();
    for (const script of result) {
      const file = fileOf(script.url);
      if (!file || isBarrel(file)) continue;
      // The function at offset 0 is the module itself, which ran when it was loaded, not on the walk.
      const called = script.functions
        .filter((f) => f.ranges[0] && f.ranges[0].startOffset > 0 && f.ranges[0].count > 0)
        .map((f) => f.functionName || `(anonymous @${f.ranges[0]!.startOffset})`);
      if (called.length) ran.set(file, new Set(called));
    }
    this.windows.push(ran);
  }

  async close(): Promise<void> {
    await post(this.session, 'Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }

  /** The files on every window's walk, each with the functions that ran in all of them. */
  walked(): Map<string, string[]> {
    const [first, ...rest] = this.windows;
    const out = new Map<string, string[]>();
    for (const [file, fns] of first ?? []) {
      if (!rest.every((w) => w.has(file))) continue;
      out.set(file, [...fns].filter((f) => rest.every((w) => w.get(file)!.has(f))).sort());
    }
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * The steps from one layer into another: a walked file that imports (a value or a type: an injected service is
   * reached through its type) from walked files of another layer counts once per layer it reaches. shared/ is
   * the library every layer uses (money, time, plates, the protocol's schemas), not a layer on the way.
   */
  boundaries(files: string[]): string[] {
    const set = new Set(files);
    const steps = new Set<string>();
    for (const file of files) {
      if (layerOf(file) === 'shared') continue;
      for (const target of throughBarrels(imports(path.join(ROOT, file)))) {
        const rel = path.relative(ROOT, target);
        if (set.has(rel) && layerOf(rel) !== layerOf(file) && layerOf(rel) !== 'shared') steps.add(`${layerOf(file)} → ${layerOf(rel)}: ${file} → ${layerOf(rel)}/`);
      }
    }
    return [...steps].sort();
  }

  report(): string {
    const walked = this.walked();
    const files = [...walked.keys()];
    const edges = this.boundaries(files);
    const lines = [`the walk (${this.windows.length} payments; files whose functions ran in every one): ${files.length} files, ${edges.length} layer boundaries`];
    for (const [file, fns] of walked) lines.push(`  ${layerOf(file).padEnd(10)} ${file}  (${fns.slice(0, 6).join(', ')}${fns.length > 6 ? ', …' : ''})`);
    lines.push('layer boundaries (a walked file → the walked files of another layer it imports):');
    for (const step of edges) lines.push(`  ${step}`);
    return lines.join('\n');
  }
}

/** A file of re-exports only: what runs when it is read through is the compiler's getters, not our code. */
function isBarrel(file: string): boolean {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return src.replace(/export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+['"][^'"]+['"];?/g, '').trim() === '';
}

/** A barrel (index.ts) runs nothing: an import of one is an import of what it re-exports. */
function throughBarrels(targets: string[]): string[] {
  return [...new Set(targets.flatMap((t) => (path.basename(t) === 'index.ts' ? [t, ...throughBarrels(imports(t))] : [t])))];
}

/** The files a module imports from (relative imports and re-exports, resolved to files). */
function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^(?:import|export)\s[^'";]*?\sfrom\s+['"](\.[^'"]+)['"]/gms;
  for (const m of src.matchAll(re)) {
    const base = path.resolve(path.dirname(file), m[1]!);
    const hit = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p));
    if (hit) out.push(hit);
  }
  return out;
}
