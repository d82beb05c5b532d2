/**
 * Parks and lanes for operators.
 *
 * Parks: admins register parks and change everything; park operators change the name and settings of
 * their parks; merchants see their parks only. The Bluecard key is write-only: answers say `hasKey`, never
 * the key.
 *
 * Lanes: as the lot reported them (4.21) with our labels (name for drivers, direction, note). Each lane's
 * QR code holds its lane link (`<public base>/q/<parkNumber>/<passagewayId>`, what the mini-program opens):
 * as PNG, SVG, and an A4 PDF poster to print and put up at the barrier.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const parkSettingsSchema = z.object({
  /** 4.16 fallback QR: which provider's code goes on the lane screen. */
  laneQrProvider: z.enum(['wechat', 'alipay']).optional(),
  /** 4.27: 'secured' answers success only when the money is taken; 'accepted' also when the provider guarantees it. */
  channelPayPolicy: z.enum(['secured', 'accepted']).optional(),
  /** Caps per withholding agreement at the lanes (4.16, 4.27), in fen: per deduction, and per agreement per day. */
  withholding: z
    .object({
      maxPerDeductionFen: z.number().int().min(0).max(10_000_000).optional(),
      maxPerDayFen: z.number().int().min(0).max(10_000_000).optional(),
    })
    .optional(),
  /** 4.28 open-gate rules (both default on). */
  openGate: z.object({ blacklist: z.boolean().optional(), bookings: z.boolean().optional() }).optional(),
  /** What drivers read about the park's prices and service (lane page, pre-pay page, lane poster). */
  service: z
    .object({
      /** 收费标准 as the operator words it; empty clears it. */
      tariffText: z.string().trim().max(500).optional(),
      /** Free minutes after entry, when the lot's rules say so (shown to drivers, not used to price). */
      freeMinutes: z.number().int().min(0).max(1440).nullable().optional(),
      /** Minutes to leave after paying, when the lot's rules differ from what it reports per stay. */
      paidFreeMinutes: z.number().int().min(0).max(240).nullable().optional(),
      /** Service phone shown to drivers. */
      phone: z.string().trim().max(32).optional(),
      /** Where the park is, as drivers search for it (the park list) and read it. */
      address: z.string().trim().max(200).optional(),
    })
    .optional(),
});

/** What applies to a park: its settings where it has them, else ParkPay's defaults. */
export const effectiveSettingsSchema = z.object({
  /** The payment provider whose QR code the lane screen shows (null: none is set up on the server). */
  laneQrProvider: z.enum(['wechat', 'alipay']).nullable(),
  channelPayPolicy: z.enum(['secured', 'accepted']),
  openGate: z.object({ blacklist: z.boolean(), bookings: z.boolean() }),
  /** Caps on what a lane may take from one withholding agreement (fen): per deduction, per agreement per day. */
  withholding: z.object({ maxPerDeductionFen: z.number().int(), maxPerDayFen: z.number().int() }),
  /** The settings that take the default because the park says nothing ('laneQrProvider', 'openGate.blacklist', …). */
  defaulted: z.array(z.string()),
});
export type EffectiveSettingsView = z.infer<typeof effectiveSettingsSchema>;

export const opParkViewSchema = z.object({
  parkNumber: z.string(),
  name: z.string().nullable(),
  bluecardBaseUrl: z.string(),
  /** A key is set (it is never shown). */
  hasKey: z.boolean(),
  /** What the park's operators set (absent: the default applies). */
  settings: parkSettingsSchema,
  /** What applies now, defaults included. */
  effective: effectiveSettingsSchema,
});
export type OpParkView = z.infer<typeof opParkViewSchema>;

export const opLaneViewSchema = z.object({
  parkNumber: z.string(),
  passagewayId: z.string(),
  /** Ours when set, else the lot's. */
  name: z.string(),
  /** The lot's name (4.21). */
  lotName: z.string(),
  direction: z.enum(['in', 'out']).nullable(),
  /** 'label': set by an operator; 'areas': from the lot's source/target areas; 'unknown'. */
  directionFrom: z.enum(['label', 'areas', 'unknown']),
  note: z.string().nullable(),
  sourceAreaId: z.string(),
  targetAreaId: z.string(),
  lotUpdatedAt: z.iso.datetime(),
  /** What the lane's QR code holds. */
  link: z.string(),
  /** Where to fetch its code (with the operator's token). */
  codes: z.object({ png: z.string(), svg: z.string(), poster: z.string() }),
});
export type OpLaneView = z.infer<typeof opLaneViewSchema>;

const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const laneParams = z.object({ parkNumber, passagewayId: z.string().trim().min(1).max(32) });
const baseUrl = z.string().trim().min(1).max(300);
const key = z.string().min(1).max(200);
const PARK_ERRORS = ['park_unknown'] as const;
const LANE_ERRORS = ['park_unknown', 'lane_unknown'] as const;

/** Binary answers (PNG, PDF): the bytes as sent. */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes');

export const opParkEndpoints = {
  listParks: defineEndpoint({
    summary: 'The parks this operator may see (admins: all).',
    method: 'GET',
    path: '/api/op/parks',
    auth: 'operator',
    response: z.object({ parks: z.array(opParkViewSchema) }),
  }),
  registerPark: defineEndpoint({
    summary: 'Admins: register a park (its Bluecard key and cloud URL come from Bluecard).',
    method: 'POST',
    path: '/api/op/parks',
    auth: 'operator',
    body: z.object({ parkNumber, key, bluecardBaseUrl: baseUrl, name: z.string().trim().max(64).optional(), settings: parkSettingsSchema.optional() }),
    response: opParkViewSchema,
    /** invalid_park_number, invalid_url (400); park_exists (409). */
    errors: ['invalid_park_number', 'invalid_url', 'park_exists'],
  }),
  park: defineEndpoint({
    summary: 'One park.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber',
    auth: 'operator',
    params: parkParams,
    response: opParkViewSchema,
    errors: PARK_ERRORS,
  }),
  updatePark: defineEndpoint({
    summary: "Change a park: name and settings (admins and the park's operators); key and Bluecard URL (admins). Settings merge field by field.",
    method: 'POST',
    path: '/api/op/parks/:parkNumber',
    auth: 'operator',
    params: parkParams,
    body: z.object({ name: z.string().trim().max(64).optional(), key: key.optional(), bluecardBaseUrl: baseUrl.optional(), settings: parkSettingsSchema.optional() }),
    response: opParkViewSchema,
    errors: [...PARK_ERRORS, 'invalid_url'],
  }),
  lanes: defineEndpoint({
    summary: "A park's lanes (4.21) with our labels and their QR links.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lanes',
    auth: 'operator',
    params: parkParams,
    response: z.object({ lanes: z.array(opLaneViewSchema) }),
    errors: PARK_ERRORS,
  }),
  updateLane: defineEndpoint({
    summary: 'Our name, direction and note of a lane (null clears one: the lot’s name / the areas’ direction apply again).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId',
    auth: 'operator',
    params: laneParams,
    body: z.object({
      name: z.string().trim().max(32).nullable().optional(),
      direction: z.enum(['in', 'out']).nullable().optional(),
      note: z.string().trim().max(200).nullable().optional(),
    }),
    response: opLaneViewSchema,
    errors: LANE_ERRORS,
  }),
  laneQrPng: defineEndpoint({
    summary: "The lane's QR code as a PNG (image/png; `size` in pixels, default 512).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId/qr.png',
    auth: 'operator',
    params: laneParams,
    query: z.object({ size: z.coerce.number().int().min(128).max(4096).optional() }),
    response: bytes,
    errors: LANE_ERRORS,
  }),
  laneQrSvg: defineEndpoint({
    summary: "The lane's QR code as SVG (image/svg+xml).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId/qr.svg',
    auth: 'operator',
    params: laneParams,
    response: z.string(),
    errors: LANE_ERRORS,
  }),
  lanePoster: defineEndpoint({
    summary: "The lane's printable A4 poster (application/pdf): park, lane, direction, QR code, what drivers do (Chinese).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId/poster.pdf',
    auth: 'operator',
    params: laneParams,
    response: bytes,
    /** poster_font_missing (503): the server has no CJK font installed (fonts-wqy-zenhei). */
    errors: [...LANE_ERRORS, 'poster_font_missing'],
  }),
} as const;
