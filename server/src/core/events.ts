/**
 * A small typed event bus: how one feature reacts to another's facts (a payment recorded, a refund started)
 * without the two holding each other. The publisher names its events and their payloads in one interface;
 * the feature modules (server/src/modules/) subscribe the reactions.
 *
 * Listeners run synchronously, in the order they subscribed, and must not block: one that has slow work
 * to do starts it and returns. A listener that throws is reported and the others still run: a reaction
 * that fails (a message not sent) must never undo or stop the fact it reacts to (a payment recorded).
 */
export type Listener<T> = (payload: T) => void;

export class EventBus<E extends { [K in keyof E]: unknown }> {
  private readonly listeners = new Map<keyof E, Listener<never>[]>();

  constructor(private readonly onListenerError?: (err: unknown, event: string) => void) {}

  /** Subscribe; the returned function unsubscribes. */
  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(event, list);
    return () => {
      const at = list.indexOf(listener as Listener<never>);
      if (at >= 0) list.splice(at, 1);
    };
  }

  emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (err) {
        this.onListenerError?.(err, event);
      }
    }
  }
}
