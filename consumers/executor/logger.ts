/** What the executor's pieces log through (pino's shape, so the process logger fits). */
export interface ExecutorLogger { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void }
