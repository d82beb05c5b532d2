/**
 * A test world (test/support) leaves nothing running when it fails to start: a half-started world would keep
 * jest from exiting. The servers the world starts are recorded as they start listening, and each must be
 * closed once the start has failed. (Counting the process's listening servers instead would also count
 * servers of an earlier test file of this jest worker that are still closing.)
 */
import net from 'node:net';
import { startPaymentWorld } from '../support/payment-world';

it('a payment world that fails half-way through its start (sandboxes and server up): the error, and every server closed', async () => {
  const started: net.Server[] = [];
  const original = net.Server.prototype.listen;
  const listen = jest.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server, ...args: unknown[]) {
    started.push(this);
    return original.apply(this, args as Parameters<typeof original>);
  });
  const broken = () => {
    throw new Error('broken on purpose');
  };
  try {
    await expect(startPaymentWorld('broken', { lanePay: broken })).rejects.toThrow('broken on purpose');
  } finally {
    listen.mockRestore();
  }
  expect(started.length).toBeGreaterThanOrEqual(4); // the three sandboxes and ParkPay's server
  expect(started.filter((s) => s.listening)).toEqual([]);
});
