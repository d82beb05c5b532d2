/**
 * A test world (test/support) leaves nothing running when it fails to start: a half-started world would keep
 * jest from exiting. Counted with Node's own list of active resources (listening servers).
 */
import { startPaymentWorld } from '../support/payment-world';

const listening = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

it('a payment world that fails half-way through its start (sandboxes and server up): the error, and every server closed', async () => {
  const before = listening();
  const broken = () => {
    throw new Error('broken on purpose');
  };
  await expect(startPaymentWorld('broken', { lanePay: broken })).rejects.toThrow('broken on purpose');
  expect(listening()).toBe(before);
});
