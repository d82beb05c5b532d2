/**
 * The sandbox holds ParkPay to 4.6's pace: "每次请求距离上次蓝卡返回时间间隔不低于 5s" — a synWhite sooner than
 * 5 s after the lot's previous synWhite answer (of the same park) is refused, so a test that sees every
 * synWhite acknowledged has proved the pacing.
 */
import { down, HOUR, PN, PN2, startTestSandbox, validBodies } from './support';

it('refuses a synWhite within 5 s of the previous answer for the park; other parks and other calls are not held', async () => {
  const { sb, clock, errors } = await startTestSandbox(undefined);
  try {
    const body = validBodies(PN).synWhite;
    expect((await down(sb, 'synWhite', body)).status).toBe('success');
    clock.advance(4_999);
    const fast = await down(sb, 'synWhite', body);
    expect(fast).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^请求过于频繁/) });
    // Another park has its own pace; other interfaces none.
    expect((await down(sb, 'synWhite', validBodies(PN2).synWhite)).status).toBe('success');
    expect((await down(sb, 'queryWhite', validBodies(PN).queryWhite)).status).toBe('success');
    // The refusal was an answer too: 5 s after it, a synWhite goes through.
    clock.advance(5_000);
    expect((await down(sb, 'synWhite', body)).status).toBe('success');
    clock.advance(HOUR);
    expect((await down(sb, 'synWhite', body)).status).toBe('success');
    expect(errors).toEqual([]);
  } finally {
    await sb.stop();
  }
});
