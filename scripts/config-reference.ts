/**
 * docs/configuration.md, generated from the zod schema of server/src/config.ts (zod 4's JSON Schema output
 * plus each key's description and environment variable): every key, its type, default and meaning.
 *
 *   npm run docs:config            write docs/configuration.md
 *   npm run docs:config -- --check exit 1 when the file is not what the schema says (CI, tests)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, ENV_JSON_KEYS, ENV_KEYS, ENV_NESTED, REAL_KEYS } from '../server/src/config';

export const REFERENCE_FILE = path.resolve(__dirname, '../docs/configuration.md');

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface ReferenceRow {
  /** parks[].key, wechatPay.verification.publicKeyId, … */
  path: string;
  type: string;
  required: boolean;
  default?: string;
  env?: string;
  description: string;
}

function envOf(pathParts: string[]): string | undefined {
  if (pathParts.length === 1) {
    const [k] = pathParts;
    return (
      Object.entries(ENV_KEYS).find(([, v]) => v === k)?.[0] ??
      Object.entries(ENV_JSON_KEYS).find(([, v]) => v === k)?.[0]
    );
  }
  if (pathParts.length === 2) return Object.entries(ENV_NESTED).find(([, [a, b]]) => a === pathParts[0] && b === pathParts[1])?.[0];
  return undefined;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return variants.every((v) => v.type === 'object') ? `object, one of ${variants.length} forms (below)` : variants.map(typeOf).join(' or ');
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  if (t === 'string') {
    if (s.format === 'uri') return 'URL';
    if (s.format === 'ipv4') return 'IPv4 address';
    const len = s.minLength !== undefined && s.minLength === s.maxLength ? ` (${s.minLength} characters)` : s.minLength && s.minLength > 1 ? ` (≥ ${s.minLength} characters)` : '';
    return `string${len}${s.pattern ? ` matching \`${s.pattern.replace(/\|/g, '\\|')}\`` : ''}`;
  }
  if (t === 'integer' || t === 'number') {
    const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
    return s.minimum !== undefined && max !== undefined ? `${t} ${s.minimum}–${max}` : s.minimum !== undefined ? `${t} ≥ ${s.minimum}` : t;
  }
  if (t === 'array') return s.items?.type === 'object' ? 'array of objects' : `array of ${s.items ? typeOf(s.items) : 'any'}`;
  return t;
}

/** Every key of the schema, depth first, in the schema's order. */
export function referenceRows(): ReferenceRow[] {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: ReferenceRow[] = [];
  const walk = (s: JsonSchema, parts: string[], prefix: string, variantNote = '') => {
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      const here = [...parts, key];
      const p = `${prefix}${prefix ? '.' : ''}${key}`;
      const row: ReferenceRow = {
        path: p,
        type: typeOf(prop),
        required: (s.required ?? []).includes(key),
        description: `${variantNote}${prop.description ?? ''}`,
      };
      if (prop.default !== undefined) row.default = JSON.stringify(prop.default);
      const env = envOf(here);
      if (env) row.env = env;
      rows.push(row);
      if (prop.type === 'object') walk(prop, here, p);
      if (prop.type === 'array' && prop.items?.type === 'object') walk(prop.items, [...here, '[]'], `${p}[]`);
      const variants = prop.anyOf ?? prop.oneOf ?? [];
      const tag = variants.length ? Object.entries(variants[0]!.properties ?? {}).find(([, v]) => v.const !== undefined)?.[0] : undefined;
      if (tag) {
        const values = variants.map((v) => v.properties?.[tag]?.const).filter((v) => v !== undefined);
        rows.push({ path: `${p}.${tag}`, type: values.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| '), required: true, description: 'which form' });
      }
      for (const variant of variants) {
        if (variant.type !== 'object') continue;
        const discriminator = Object.entries(variant.properties ?? {}).find(([, v]) => v.const !== undefined);
        const note = discriminator ? `(${discriminator[0]} ${JSON.stringify(discriminator[1].const)}) ` : '(this form) ';
        walk({ ...variant, properties: Object.fromEntries(Object.entries(variant.properties ?? {}).filter(([k]) => k !== discriminator?.[0])) }, here, p, note);
      }
    }
  };
  walk(root, [], '');
  return rows;
}

/** A table cell: one line, and a '|' of the text escaped (GFM reads \| as | inside code spans too). */
const cell = (v: string | undefined) => (v === undefined || v === '' ? '—' : v.replace(/\n/g, ' ').replace(/(?<!\\)\|/g, '\\|'));
const isJsonEnv = (env: string) => Object.keys(ENV_JSON_KEYS).includes(env);

export function renderConfigReference(): string {
  const rows = referenceRows();
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from the zod schema in server/src/config.ts; edit the schema, not this file. -->',
    '',
    'One validated configuration, read at boot: embedded defaults → the JSON file named by `PARKPAY_CONFIG` →',
    'environment variables (later wins). A missing or malformed value stops the boot with a message naming the',
    'key. Objects given by a JSON-valued variable (`PARKPAY_WECHATPAY` …) replace the file\'s object whole.',
    'Keys marked *secret* are never logged; keep them out of images and of version control (a mounted file or',
    'the orchestrator\'s secrets).',
    '',
    `**Demo or production.** With none of ${REAL_KEYS.map((k) => `\`${k}\``).join(', ')} set, \`npm start\` runs`,
    'the demo. With any of them set, `mode` must be `production` or the boot stops with a message naming them.',
    'Production mode requires `mongodbUri`, at least one park, `publicBaseUrl`, and `wechatPay` (with',
    '`wechatMiniProgram`) or `alipay`; `publicBaseUrl`, every notify URL and the payment API hosts must be https',
    '(loopback hosts excepted).',
    '',
    '| key | type | default | environment | description |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.path}\`${r.required ? ' (required)' : ''} | ${r.type} | ${r.default === undefined ? '—' : `\`${r.default}\``} | ${r.env ? `\`${r.env}\`${isJsonEnv(r.env) ? ' (JSON)' : ''}` : '—'} | ${cell(r.description)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function main() {
  const text = renderConfigReference();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REFERENCE_FILE, 'utf8');
    } catch {
      current = '';
    }
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), REFERENCE_FILE)} is not what the schema says: run npm run docs:config`);
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), REFERENCE_FILE)} is up to date (${referenceRows().length} keys)`);
    return;
  }
  writeFileSync(REFERENCE_FILE, text);
  console.log(`wrote ${path.relative(process.cwd(), REFERENCE_FILE)} (${referenceRows().length} keys)`);
}

if (require.main === module) main();
