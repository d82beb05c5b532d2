/**
 * What a sandbox park is made of: lanes (通道), areas (区域), guidance spaces (车位引导) and a tariff.
 * A definition is plain data: the sandbox builds a fresh park state from it at start and on reset.
 */
import type { TariffDefinition } from './tariff';

export type LaneDirection = 'in' | 'out';

/** A lane (通道): 4.21 passagewayId/passagewayName/sourceAreaId/targetAreaId. */
export interface LaneDefinition {
  /** 4.21 passagewayId: the id lane QR codes and 4.29/4.30 use. */
  passagewayId: string;
  /** 4.21 passagewayName, also inChannel/outChannel of records ("东门入口"). */
  name: string;
  direction: LaneDirection;
  /** Area the car comes from ("0" = outside the lot). */
  sourceAreaId: string;
  /** Area the car goes to ("0" = outside the lot). */
  targetAreaId: string;
}

/** An area (区域) closed off by cameras: counted in the heartbeat. */
export interface AreaDefinition {
  /** 4.1 areaId (Int). */
  id: number;
  name: string;
  /** Total spaces of the area (4.1 spaceCount). */
  spaces: number;
  /** Spaces that may be booked (4.1 bookSpaceCount before bookings); default 0. */
  bookable?: number;
}

/** A space of the guidance system (4.33/4.34): a few named spaces on layers with x/y on the layer map. */
export interface SpaceDefinition {
  spaceId: string;
  /** The area the space lies in: a car entering that area may be parked in it. */
  areaId: number;
  layerId: string;
  layerName: string;
  /** Position on the layer map, 0..1 ("0.078"). */
  x: number;
  y: number;
}

export interface ParkDefinition {
  parkNumber: string;
  /** Bluecard's key for this park: sign = md5(key + parkNumber). */
  key: string;
  name: string;
  lanes: LaneDefinition[];
  areas: AreaDefinition[];
  spaces?: SpaceDefinition[];
  tariff?: Partial<TariffDefinition>;
}

/** Problems of a definition (duplicate ids, lanes into unknown areas…); empty when it is fine. */
export function definitionProblems(def: ParkDefinition): string[] {
  const problems: string[] = [];
  const where = `park ${def.parkNumber}`;
  if (!def.parkNumber) problems.push('a park without parkNumber');
  if (!def.key) problems.push(`${where}: no key`);
  const areaIds = new Set<number>();
  for (const a of def.areas) {
    if (!Number.isInteger(a.id) || a.id <= 0) problems.push(`${where}: area id ${a.id} must be a positive integer`);
    if (areaIds.has(a.id)) problems.push(`${where}: area ${a.id} twice`);
    areaIds.add(a.id);
    if (!Number.isInteger(a.spaces) || a.spaces < 0) problems.push(`${where}: area ${a.id} spaces must be a whole number`);
    if ((a.bookable ?? 0) > a.spaces) problems.push(`${where}: area ${a.id} has more bookable spaces than spaces`);
  }
  const known = (id: string) => id === '0' || areaIds.has(Number(id));
  const laneIds = new Set<string>();
  for (const l of def.lanes) {
    if (laneIds.has(l.passagewayId)) problems.push(`${where}: lane ${l.passagewayId} twice`);
    laneIds.add(l.passagewayId);
    if (!known(l.sourceAreaId) || !known(l.targetAreaId)) problems.push(`${where}: lane ${l.passagewayId} names an unknown area`);
    if (l.direction === 'in' && l.targetAreaId === '0') problems.push(`${where}: entry lane ${l.passagewayId} leads outside`);
    if (l.direction === 'out' && l.sourceAreaId === '0') problems.push(`${where}: exit lane ${l.passagewayId} starts outside`);
  }
  const spaceIds = new Set<string>();
  for (const s of def.spaces ?? []) {
    if (spaceIds.has(s.spaceId)) problems.push(`${where}: space ${s.spaceId} twice`);
    spaceIds.add(s.spaceId);
    if (!areaIds.has(s.areaId)) problems.push(`${where}: space ${s.spaceId} in unknown area ${s.areaId}`);
  }
  return problems;
}
