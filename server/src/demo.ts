/**
 * Demo mode: the stand-ins ParkPay talks to when nothing real is configured. Today the Bluecard sandbox with
 * its demo park (`p_demo_001`), registered with ParkPay and pointed back at it; the payment sandboxes join
 * here as they are built.
 */
import type { Logger } from './logger';
import type { Park } from './core/parks';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from './sandbox/bluecard';

export interface Demo {
  /** Parks to register with ParkPay (pointing at the sandbox). */
  parks: Park[];
  /** Tell the stand-ins where ParkPay listens (they start calling it). */
  connect(parkPayUrl: string): Promise<void>;
  /** Lines for the start banner. */
  describe(): string[];
  stop(): Promise<void>;
}

export interface DemoOptions {
  logger: Logger;
  host: string;
  /** Port of the Bluecard sandbox (0: any free port). */
  bluecardPort: number;
}

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const bluecard: BluecardSandbox = await startBluecardSandbox({
    parks: demoParks(),
    host: opts.host,
    port: opts.bluecardPort,
    onError: (e) => opts.logger.warn({ err: e }, 'Bluecard sandbox problem'),
  });
  const def = demoParks()[0]!;
  return {
    parks: [{ parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url, name: def.name }],
    connect: (url) => bluecard.setParkPayBaseUrl(url),
    describe: () => [
      `  Bluecard sandbox: ${bluecard.url}  (control API: ${bluecard.url}/sandbox/)`,
      `  demo park ${DEMO_PARK_NUMBER} "${def.name}", key ${DEMO_PARK_KEY}, lanes: ${def.lanes.map((l) => `${l.passagewayId} ${l.name}`).join(', ')}`,
    ],
    stop: () => bluecard.stop(),
  };
}
