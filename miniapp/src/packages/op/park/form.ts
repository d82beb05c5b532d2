/** The park settings form: what the operator sees, and the update body with only what changed. */
import type { OpParkView } from '@shared/api/op-parks';

export interface ParkForm {
  name: string;
  laneQrProvider: 'wechat' | 'alipay' | '';
  channelPayPolicy: 'secured' | 'accepted' | '';
  blacklistGate: boolean;
  bookingsGate: boolean;
  /** Admins only. */
  bluecardBaseUrl: string;
  /** Write-only: empty keeps the key. */
  key: string;
}

export function formOf(p: OpParkView): ParkForm {
  return {
    name: p.name ?? '',
    laneQrProvider: p.settings.laneQrProvider ?? '',
    channelPayPolicy: p.settings.channelPayPolicy ?? '',
    // 4.28 rules default on.
    blacklistGate: p.settings.openGate?.blacklist ?? true,
    bookingsGate: p.settings.openGate?.bookings ?? true,
    bluecardBaseUrl: p.bluecardBaseUrl,
    key: '',
  };
}

export interface ParkUpdate {
  name?: string;
  key?: string;
  bluecardBaseUrl?: string;
  settings?: {
    laneQrProvider?: 'wechat' | 'alipay';
    channelPayPolicy?: 'secured' | 'accepted';
    openGate?: { blacklist?: boolean; bookings?: boolean };
  };
}

/** The body of POST /api/op/parks/:parkNumber: changed fields only (settings merge field by field); undefined when nothing changed. */
export function parkChanges(p: OpParkView, f: ParkForm, admin: boolean): ParkUpdate | undefined {
  const was = formOf(p);
  const out: ParkUpdate = {};
  if (f.name.trim() !== was.name) out.name = f.name.trim();
  const settings: NonNullable<ParkUpdate['settings']> = {};
  if (f.laneQrProvider && f.laneQrProvider !== was.laneQrProvider) settings.laneQrProvider = f.laneQrProvider;
  if (f.channelPayPolicy && f.channelPayPolicy !== was.channelPayPolicy) settings.channelPayPolicy = f.channelPayPolicy;
  const gate: { blacklist?: boolean; bookings?: boolean } = {};
  if (f.blacklistGate !== was.blacklistGate) gate.blacklist = f.blacklistGate;
  if (f.bookingsGate !== was.bookingsGate) gate.bookings = f.bookingsGate;
  if (Object.keys(gate).length) settings.openGate = gate;
  if (Object.keys(settings).length) out.settings = settings;
  if (admin) {
    if (f.bluecardBaseUrl.trim() && f.bluecardBaseUrl.trim() !== was.bluecardBaseUrl) out.bluecardBaseUrl = f.bluecardBaseUrl.trim();
    if (f.key) out.key = f.key;
  }
  return Object.keys(out).length ? out : undefined;
}
