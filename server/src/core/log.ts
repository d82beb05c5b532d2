/**
 * The part of a pino logger that core, the ports and the adapters log through: pino's Logger fits it, and a
 * test passes a recording one. A dependency that needs fewer levels asks for a Pick of it.
 */
export interface Log {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}
