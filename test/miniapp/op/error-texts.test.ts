/**
 * Every error code an operator can meet has Chinese text in the console: the codes the shared/api
 * contracts declare (each endpoint's `errors`, the common ones, the auth ones) and every code the server
 * can answer (read from its source: the core modules' code unions and the ports' HttpErrors). A new code without text fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../../../shared/api';
import { COMMON_ERROR_CODES, FORBIDDEN_PARK, FORBIDDEN_ROLE, UNAUTHENTICATED, type EndpointDef } from '../../../shared/api/contract';
import { fieldsOf, OP_ERROR_TEXTS, opErrorText } from '../../../miniapp/src/packages/op/services/errors';

const ROOT = join(__dirname, '../../..');

function isEndpoint(v: unknown): v is EndpointDef {
  const e = v as Partial<EndpointDef> | undefined;
  return Boolean(e && typeof e === 'object' && typeof e.method === 'string' && typeof e.path === 'string' && e.path.startsWith('/api/'));
}

/** Every contract of shared/api (the endpoint maps each module exports). */
function contracts(): EndpointDef[] {
  const out: EndpointDef[] = [];
  for (const value of Object.values(api)) {
    if (!value || typeof value !== 'object') continue;
    for (const e of Object.values(value as Record<string, unknown>)) if (isEndpoint(e)) out.push(e);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The codes server/src throws: every code of a core module's closed union (`server/src/core/<module>/errors.ts`),
 * the ports' own `new HttpError('code', …)` (also spread over lines and as a ternary of codes), and the
 * `{ code: '…' }` refusals core rules hand to them.
 */
export function appErrorCodes(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'server/src'))) {
    const text = readFileSync(file, 'utf8');
    const rel = file.slice(ROOT.length + 1);
    if (/^server\/src\/core\/[a-z]+\/errors\.ts$/.test(rel)) {
      for (const union of text.matchAll(/export type \w+ErrorCode =([^;]+);/g)) {
        for (const c of union[1]!.matchAll(/'([a-z][a-z0-9_]*)'/g)) found.set(c[1]!, rel);
      }
    }
    for (const m of text.matchAll(/new HttpError\(\s*([^,]+),/g)) {
      for (const c of m[1]!.matchAll(/'([a-z][a-z0-9_]*)'/g)) found.set(c[1]!, rel);
    }
    for (const m of text.matchAll(/\{ code: '([a-z][a-z0-9_]*)', message:/g)) found.set(m[1]!, rel);
  }
  return found;
}

describe('error codes', () => {
  it('finds the contracts and the server’s codes (the scan itself works)', () => {
    expect(contracts().length).toBeGreaterThan(60);
    const codes = appErrorCodes();
    // One of each kind of throw the scan must see.
    for (const c of ['park_unknown', 'poster_font_missing', 'provider_refused', 'provider_unreachable', 'already_admitted', 'cancel_too_late', 'unauthenticated', 'body_too_large']) expect(codes.has(c)).toBe(true);
  });

  it('every code of the contracts and of the server has Chinese text in the console', () => {
    const codes = new Map<string, string>();
    for (const c of [...COMMON_ERROR_CODES, UNAUTHENTICATED, FORBIDDEN_PARK, FORBIDDEN_ROLE]) codes.set(c, 'shared/api/contract.ts');
    for (const e of contracts()) for (const c of e.errors ?? []) codes.set(c, `${e.method} ${e.path}`);
    for (const [c, where] of appErrorCodes()) codes.set(c, where);
    const missing = [...codes].filter(([c]) => !OP_ERROR_TEXTS[c]).map(([c, where]) => `${c} (${where})`);
    expect(missing).toEqual([]);
    for (const [code, t] of Object.entries(OP_ERROR_TEXTS)) {
      expect([code, /[\u4e00-\u9fff]/.test(t.title)]).toEqual([code, true]);
      // No machine text in what is shown.
      expect(`${t.title}${t.hint}`).not.toMatch(/[a-z]+_[a-z]+|is not a|\/api\//);
    }
  });

  it('never shows the server’s English message or an unknown code', () => {
    const unknown = opErrorText({ code: 'something_new', message: 'the widget is not a gadget' });
    expect(unknown.title).toBe('出错了');
    expect(`${unknown.title}${unknown.hint}`).not.toMatch(/something_new|is not a|widget/);
    const refused = opErrorText({ code: 'lot_refused', message: 'the lot refused the lift: 道闸故障', details: { lotSays: '道闸故障' } });
    expect(refused).toMatchObject({ title: '车场系统拒绝了这次请求', hint: '车场说：道闸故障' });
    expect(opErrorText({ code: 'lot_refused', message: 'the parking lot says: timeout' }).hint).not.toMatch(/parking|timeout/);
    expect(opErrorText({ code: 'lot_unreachable', message: 'x', details: { outcomeUnknown: true } }).hint).toMatch(/道闸可能已抬起/);
    expect(opErrorText({ code: 'invalid_entry', message: '“ABC”不是车牌号' }).hint).toBe('“ABC”不是车牌号');
    expect(opErrorText({ code: 'invalid_entry', message: 'start is after end' }).hint).not.toMatch(/start/);
    expect(opErrorText({ code: 'http_502', message: '服务器返回了错误（HTTP 502）' }).title).toBe('服务器返回了错误');
  });

  it('a request the server found wrong names the fields in Chinese', () => {
    const details = [
      { in: 'body', path: ['plate'], message: 'Too small' },
      { in: 'body', path: ['cancelRule', 'lateRefundPercent'], message: 'Too big' },
    ];
    expect(fieldsOf(details)).toBe('「车牌」「退款比例」');
    expect(opErrorText({ code: 'validation_failed', message: 'body.plate: Too small', details })).toEqual({ title: '填写的内容不符合要求', hint: '请检查「车牌」「退款比例」。', retry: false });
  });
});
