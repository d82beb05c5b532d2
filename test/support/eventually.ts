/**
 * Waiting for a condition instead of sleeping a fixed time: a test on a busy machine cannot know how long
 * the work it started takes, only what it looks like when done. The bounds are generous because they are
 * only reached when the test fails; a passing test returns as soon as the condition holds.
 */

/** How long a wait lasts before the test fails, unless the caller says otherwise. */
export const WAIT_MS = 20_000;

/** Poll until the check passes (real time), or fail with the last value seen. */
export async function eventually<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  } while (Date.now() < deadline);
  throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}

/** Poll until `cond` is true, or fail saying what was awaited. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
