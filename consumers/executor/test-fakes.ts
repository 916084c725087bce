import type { Logger } from '../../topics/ground/logger';

/** A logger that keeps what it was told, for the executor pieces' specs. */
export function recordingLogger() {
  const lines: { level: 'info' | 'warn' | 'error'; msg?: string; fields: object }[] = [];
  const at = (level: 'info' | 'warn' | 'error') => (fields: object, msg?: string) => void lines.push({ level, msg, fields });
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** A promise settled from outside. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
