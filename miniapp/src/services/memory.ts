/**
 * What the app remembers on the phone: the last park, plates typed lately, and unlicensed entries (shown in
 * "my parking").
 */
import { load, save } from './storage';

const LAST_PARK = 'parkpay.lastPark';
const TYPED_PLATES = 'parkpay.typedPlates';
const ENTRIES = 'parkpay.unlicensedEntries';

export function lastPark(): string | undefined {
  const v = load<string>(LAST_PARK);
  return typeof v === 'string' && v ? v : undefined;
}

export function rememberPark(parkNumber: string): void {
  save(LAST_PARK, parkNumber);
}

export interface UnlicensedEntry {
  parkNumber: string;
  parkName: string;
  plate: string;
  inTime: string;
}

export function unlicensedEntries(): UnlicensedEntry[] {
  const v = load<UnlicensedEntry[]>(ENTRIES);
  return Array.isArray(v) ? v : [];
}

export function rememberUnlicensedEntry(e: UnlicensedEntry): void {
  const rest = unlicensedEntries().filter((x) => !(x.parkNumber === e.parkNumber && x.plate === e.plate));
  save(ENTRIES, [e, ...rest].slice(0, 5));
}

export function forgetUnlicensedEntry(parkNumber: string, plate: string): void {
  save(ENTRIES, unlicensedEntries().filter((x) => !(x.parkNumber === parkNumber && x.plate === plate)));
}

/** Plates typed on the keyboard (not bound), newest first: offered again with one tap. */
export function typedPlates(): string[] {
  const v = load<string[]>(TYPED_PLATES);
  return Array.isArray(v) ? v.filter((p) => typeof p === 'string') : [];
}

export function rememberTypedPlate(plate: string): void {
  save(TYPED_PLATES, [plate, ...typedPlates().filter((p) => p !== plate)].slice(0, 3));
}
