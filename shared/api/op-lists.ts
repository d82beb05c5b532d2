/**
 * White and black lists for operators (Bluecard 4.6–4.11). Admins and park operators only.
 *
 * ParkPay keeps its own list per park and sends each change to the lot; every entry says what the lot made
 * of it (`sync.state`): pending (not acknowledged yet), synced, refused (the lot's reason in `sync.error`),
 * failed (no clear answer: send it again with …/resync). Our blacklist also decides 4.28: a car on it is
 * refused at the entry lanes.
 *
 *  - add or edit one: POST …/lists/:list (the plate is the key);
 *  - delete one: DELETE …/lists/:list/:plate (at the lot first);
 *  - delete all, in two steps: POST …/lists/:list/clear answers a confirmation token (valid 2 minutes) with
 *    the count and a warning — the lot's call deletes EVERY online entry of its list, also those another
 *    system gave it — then POST …/lists/:list/clear/confirm {confirmation};
 *  - import a CSV of up to 2,000 rows: POST …/lists/:list/imports {csv}. It runs in the background: the lot
 *    takes at most 50 plates a call and at least 5 s after its previous answer (4.6), so 500 plates take
 *    about 50 s. Poll GET …/list-jobs/:jobId for the progress and a result per row.
 *    Whitelist columns (header in English or Chinese; without a header this order):
 *      plate/车牌, start/生效日期, end/失效日期 (yyyy-MM-dd), name/姓名, phone/电话, carType/车辆类型 (default 月租车),
 *      memo/备注; also chargeType/收费类型 (default 不收费), plateColor/车牌颜色, dept/部门, certificate/身份证, address/地址.
 *    Blacklist columns: plate/车牌, memo/备注 (the reason, shown at the lane).
 *  - the lot's own whitelist (4.32, online and offline entries) and fixed-car renewals (4.31): GET …/lot-lists;
 *  - what the lot has for some plates (4.8 / 4.11): GET …/lists/:list/at-lot?plates=京A12345,京B23456.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const listKindSchema = z.enum(['white', 'black']);
export const syncStateSchema = z.enum(['pending', 'synced', 'refused', 'failed']);

const areaSchema = z.object({ areaId: z.number().int(), start: z.string(), end: z.string() });
export const whiteDetailsSchema = z.object({
  start: z.string(),
  end: z.string(),
  chargeType: z.string(),
  name: z.string(),
  certificate: z.string(),
  address: z.string(),
  phone: z.string(),
  plateColor: z.string(),
  dept: z.string(),
  carType: z.string(),
  areas: z.array(areaSchema),
});

export const listEntryViewSchema = z.object({
  plate: z.string(),
  memo: z.string(),
  /** Whitelist entries: the 4.6 fields. */
  white: whiteDetailsSchema.nullable(),
  sync: z.object({ state: syncStateSchema, error: z.string().nullable(), at: z.iso.datetime() }),
  origin: z.enum(['manual', 'import']),
  importId: z.string().nullable(),
  updatedBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ListEntryView = z.infer<typeof listEntryViewSchema>;

export const importRowSchema = z.object({
  line: z.number().int(),
  plate: z.string(),
  status: z.enum(['invalid', 'duplicate', 'queued', 'synced', 'refused', 'failed']),
  error: z.string().nullable(),
});

export const listJobViewSchema = z.object({
  id: z.string(),
  parkNumber: z.string(),
  list: listKindSchema,
  /** 'import': a CSV; 'resync': the entries the lot had not acknowledged. */
  kind: z.enum(['import', 'resync']),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  error: z.string().nullable(),
  progress: z.object({
    total: z.number().int(),
    queued: z.number().int(),
    synced: z.number().int(),
    refused: z.number().int(),
    failed: z.number().int(),
    invalid: z.number().int(),
    duplicate: z.number().int(),
    /** Seconds left at the lot's pace, roughly. */
    etaSeconds: z.number().int(),
  }),
  chunks: z.number().int(),
  chunksDone: z.number().int(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  /** Rows (see the `rows` query of the job endpoint); absent in job lists. */
  rows: z.array(importRowSchema).optional(),
});
export type ListJobView = z.infer<typeof listJobViewSchema>;

const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const listParams = z.object({ parkNumber, list: listKindSchema });
const date = z.string().trim().max(10);
const text = (n = 64) => z.string().trim().max(n);

const LIST_ERRORS = ['park_unknown'] as const;
const LOT_ERRORS = ['lot_unreachable', 'lot_refused'] as const;

export const opListEndpoints = {
  page: defineEndpoint({
    summary: "ParkPay's list of the park, by plate (part of it) and sync state, in plate order.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lists/:list',
    auth: 'operator',
    params: listParams,
    query: z.object({
      plate: z.string().trim().min(1).max(20).optional(),
      state: syncStateSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
      offset: z.coerce.number().int().min(0).optional(),
    }),
    response: z.object({ entries: z.array(listEntryViewSchema), total: z.number().int() }),
  }),
  upsert: defineEndpoint({
    summary: 'Add or edit one entry; it is sent to the lot at once (4.6 / 4.9) and says what the lot answered.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lists/:list',
    auth: 'operator',
    params: listParams,
    body: z.object({
      plate: z.string().trim().min(1).max(20),
      memo: text(200).optional(),
      /** Whitelist: first and last valid day, yyyy-MM-dd (required for the whitelist). */
      start: date.optional(),
      end: date.optional(),
      name: text().optional(),
      phone: text().optional(),
      carType: text().optional(),
      chargeType: text().optional(),
      plateColor: text().optional(),
      dept: text().optional(),
      certificate: text().optional(),
      address: text().optional(),
      areas: z.array(z.object({ areaId: z.number().int(), start: date, end: date })).max(20).optional(),
    }),
    response: listEntryViewSchema,
    errors: [...LIST_ERRORS, 'invalid_entry', 'list_full'],
  }),
  remove: defineEndpoint({
    summary: 'Delete one entry: at the lot first (4.7 / 4.10), then ours.',
    method: 'DELETE',
    path: '/api/op/parks/:parkNumber/lists/:list/:plate',
    auth: 'operator',
    params: z.object({ parkNumber, list: listKindSchema, plate: z.string().trim().min(1).max(20) }),
    response: z.object({ removed: z.boolean() }),
    errors: [...LIST_ERRORS, ...LOT_ERRORS, 'not_found'],
  }),
  requestClear: defineEndpoint({
    summary: 'Delete all, step 1: a confirmation token (2 minutes), the count, and what it will do.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lists/:list/clear',
    auth: 'operator',
    params: listParams,
    response: z.object({ confirmation: z.string(), count: z.number().int(), expiresAt: z.iso.datetime(), warning: z.string() }),
    errors: LIST_ERRORS,
  }),
  confirmClear: defineEndpoint({
    summary: "Delete all, step 2: with the token, the lot's list (4.7 / 4.10 with plate \"\") and ours.",
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lists/:list/clear/confirm',
    auth: 'operator',
    params: listParams,
    body: z.object({ confirmation: z.string().min(1).max(100) }),
    response: z.object({ removed: z.number().int() }),
    errors: [...LIST_ERRORS, ...LOT_ERRORS, 'confirmation_invalid', 'confirmation_expired'],
  }),
  startImport: defineEndpoint({
    summary: 'Import a CSV (≤2,000 rows) in the background, paced as the lot requires; poll the job.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lists/:list/imports',
    auth: 'operator',
    params: listParams,
    body: z.object({ csv: z.string().min(1).max(400_000) }),
    response: listJobViewSchema,
    errors: [...LIST_ERRORS, 'bad_csv', 'list_full'],
  }),
  resync: defineEndpoint({
    summary: 'Send again, in the background, every entry the lot has not acknowledged (pending or failed).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lists/:list/resync',
    auth: 'operator',
    params: listParams,
    response: listJobViewSchema,
    errors: [...LIST_ERRORS, 'nothing_to_send'],
  }),
  jobs: defineEndpoint({
    summary: 'The latest list jobs of the park (imports and resends), newest first, without rows.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/list-jobs',
    auth: 'operator',
    params: parkParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).optional() }),
    response: z.object({ jobs: z.array(listJobViewSchema) }),
  }),
  job: defineEndpoint({
    summary: "A job's progress and its rows ('problems' = only rows that are not synced or queued).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/list-jobs/:jobId',
    auth: 'operator',
    params: z.object({ parkNumber, jobId: z.string().trim().min(1).max(40) }),
    query: z.object({ rows: z.enum(['all', 'problems', 'none']).optional() }),
    response: listJobViewSchema,
    errors: ['not_found'],
  }),
  atLot: defineEndpoint({
    summary: 'What the lot has for these plates (4.8 / 4.11), comma-separated, at most 50.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lists/:list/at-lot',
    auth: 'operator',
    params: listParams,
    query: z.object({ plates: z.string().trim().min(1).max(1_200) }),
    response: z.object({ entries: z.array(z.object({ plate: z.string(), memo: z.string(), white: whiteDetailsSchema.nullable() })) }),
    errors: [...LIST_ERRORS, ...LOT_ERRORS, 'invalid_plates'],
  }),
  lotLists: defineEndpoint({
    summary: "The lot's own whitelist (4.32: online and offline entries) and its latest fixed-car renewals (4.31).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lot-lists',
    auth: 'operator',
    params: parkParams,
    query: z.object({ renewals: z.coerce.number().int().min(1).max(500).optional() }),
    response: z.object({
      whitelist: z.array(
        z.object({
          plate: z.string(),
          fixedId: z.number().int().nullable(),
          /** '1' issued online, '2' entered at the lot. */
          source: z.string(),
          changedAt: z.iso.datetime().nullable(),
          record: z.record(z.string(), z.unknown()),
        }),
      ),
      renewals: z.array(
        z.object({
          plates: z.array(z.string()),
          payTime: z.iso.datetime().nullable(),
          payChargeFen: z.number().int(),
          feeMonths: z.number(),
          end: z.iso.datetime().nullable(),
          record: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
  }),
};
