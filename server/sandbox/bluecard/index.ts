/**
 * The Bluecard sandbox: a fake Bluecard cloud for ParkPay's tests and demo mode. See sandbox.ts.
 */
export { startBluecardSandbox, type BluecardSandbox, type BluecardSandboxOptions } from './sandbox';
export { demoParks, DEMO_PARK_NUMBER, DEMO_PARK_KEY } from './demo';
export type { ParkDefinition, LaneDefinition, AreaDefinition, SpaceDefinition } from './definitions';
export { DEFAULT_TARIFF, chargeFen, type TariffDefinition } from './tariff';
export { ClockScheduler, type SandboxScheduler } from './scheduler';
export { DEFAULT_PARKPAY_PATHS, type ParkPayPaths, type UpResult } from './uplink';
export { DEFAULT_RESEND, type ResendPolicy, type OutboxItem } from './outbox';
export { FAULT_KINDS, type FaultKind, type FaultSpec, type LotConditions } from './faults';
export { QR_POLL, type SandboxPark, type LaneScreen, type Departure } from './lot';
export { SECTION_TITLES, type LotCall, type GateEvent } from './call-log';
export { Refusal, type ParkState, type Car, type Payment } from './park';
