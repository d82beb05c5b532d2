/** The loop every background job polls with, on jest's fake timers (no real time passes). */
import { PollLoop } from '../../../../server/src/port/jobs/poll-loop';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A step the test finishes by hand. */
function gatedStep() {
  const runs: { done(): void }[] = [];
  const step = () => new Promise<void>((resolve) => runs.push({ done: resolve }));
  return { runs, step };
}

describe('poll loop', () => {
  it('waits the first delay, then runs one step at a time with the wait after each', async () => {
    const { runs, step } = gatedStep();
    const loop = new PollLoop(step, 1_000, 5_000);
    loop.start();
    await jest.advanceTimersByTimeAsync(4_999);
    expect(runs).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    // A slow step: no second one starts while it runs.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(1);
    runs[0].done();
    await jest.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    runs[1].done();
    await loop.stop();
  });

  it('goes on after a step that fails', async () => {
    let n = 0;
    const loop = new PollLoop(async () => {
      n += 1;
      throw new Error('database down');
    }, 100);
    loop.start();
    await jest.advanceTimersByTimeAsync(350);
    expect(n).toBe(3);
    await loop.stop();
  });

  it('stop waits for the step under way and runs no other', async () => {
    const { runs, step } = gatedStep();
    const loop = new PollLoop(step, 100);
    loop.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(1);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    runs[0].done();
    await stopping;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(1);
    expect(loop.running).toBe(false);
  });

  it('tells how long ago a step ran, and nothing before it was started', async () => {
    const loop = new PollLoop(async () => undefined, 1_000);
    expect(loop.sinceLastStepMs()).toBeNull();
    expect(loop.sinceLastStartMs()).toBeNull();
    loop.start();
    expect(loop.running).toBe(true);
    await jest.advanceTimersByTimeAsync(1_500);
    expect(loop.sinceLastStartMs()).toBe(500);
    expect(loop.sinceLastStepMs()).toBe(500);
    await loop.stop();
  });
});
