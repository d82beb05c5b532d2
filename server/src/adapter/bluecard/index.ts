/**
 * adapter/bluecard: the typed outbound client for Bluecard's down interfaces (we → Bluecard).
 * See client.ts for the retry/timeout/pacing table.
 */
export * from './client';
export * from './errors';
export * from './requests';
export {
  DOWN_CALLS,
  DOWN_CALL_NAMES,
  type DownCall,
  type DownCallName,
  type Repeat,
  DEFAULT_TIMEOUT_MS,
  HEAVY_TIMEOUT_MS,
  DEFAULT_BACKOFF_MS,
  LIST_CHUNK_MAX,
  LIST_PACE_MS,
} from './calls';
