import pino from 'pino';

/**
 * What Conveyor code logs through: pino's (fields, message) shape, so the
 * process logger fits and a unit spec passes a recording fake.
 */
export interface Logger {
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}

/** For callers that were given no logger. */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Structured JSON logs on stderr; LOG_LEVEL picks the level (info by default). */
export function createLogger(name: string) {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, name } }, pino.destination(2));
}
