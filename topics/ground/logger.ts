import pino from 'pino';

/** Structured JSON logs on stderr; LOG_LEVEL picks the level (info by default). */
export function createLogger(name: string) {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, name } }, pino.destination(2));
}
export type Logger = ReturnType<typeof createLogger>;
