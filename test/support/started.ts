/**
 * What a test world has started so far, stopped in reverse when the world fails to start: a half-started
 * world (a sandbox listening, a database connection open) would keep jest from exiting.
 */
export type Stop = () => unknown;

export async function startedOrStopped<T>(build: (started: Stop[]) => Promise<T>): Promise<T> {
  const started: Stop[] = [];
  try {
    return await build(started);
  } catch (e) {
    for (const stop of started.reverse()) {
      try {
        await stop();
      } catch {
        // the start error is the one to report
      }
    }
    throw e;
  }
}
