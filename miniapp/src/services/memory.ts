/** What the app remembers on the phone: the last park, and unlicensed entries (shown in "my parking"). */
import { load, save } from './storage';

const LAST_PARK = 'parkpay.lastPark';
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
