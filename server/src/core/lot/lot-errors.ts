/**
 * A lot call's failure as the driver's app hears it: a refusal says what the lot said (`lot_refused`); no
 * answer in time is `lot_slow` ("车场系统响应慢", worth a retry in a moment); anything else that kept the
 * answer away is `lot_unreachable`. The app tells the three apart from its own network.
 */
import { LotError } from './errors';
import { LotCallError } from '../orders/gateways';

export function lotAppError(e: unknown): never {
  if (e instanceof LotCallError) {
    if (e.refused) throw new LotError('lot_refused', `the parking lot says: ${e.errorCode ?? e.message}`);
    if (e.slow) throw new LotError('lot_slow', 'the parking lot did not answer in time; please try again in a moment or pay at the exit');
    throw new LotError('lot_unreachable', 'the parking lot cannot be reached right now; please try again or pay at the exit');
  }
  throw e;
}
