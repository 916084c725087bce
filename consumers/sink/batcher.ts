import { createHash } from 'node:crypto';
import type { AnalyticsTable } from '../../analytics/rows';

/** The offsets a group of rows came from: one kafkajs batch of one partition. */
export interface SourceRange { topic: string; partition: number; first: number; last: number }

export type WriteBlock<T> = (table: AnalyticsTable, rows: T[], token: string) => Promise<void>;

export interface BatcherOptions<T> {
  /** Flush when this many rows are buffered. */
  flushRows: number;
  /** Flush this long after the first buffered row at the latest. */
  flushMs: number;
  /** Flush at once when this many callers wait: no more rows can arrive until they are released. */
  maxWaiters: number;
  write: WriteBlock<T>;
  /**
   * Flush at once when nothing has been written for flushMs: the first rows
   * after a quiet spell (or at start) go out without waiting for a full block,
   * and later blocks grow while that insert runs. For a pipelined caller.
   */
  eagerWhenIdle?: boolean;
}

interface Waiter { resolve: () => void; reject: (e: Error) => void }

/**
 * Collects rows from many partition batches into few large inserts. `add`
 * resolves only after the rows are stored, so the caller commits offsets
 * after the insert and never before. The token of a block is derived from the
 * offset ranges in it: retrying the same block is a no-op in ClickHouse.
 */
export function createBatcher<T = object>(opts: BatcherOptions<T>) {
  let pending = new Map<AnalyticsTable, { rows: T[]; sources: SourceRange[] }>();
  let waiters: Waiter[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  let writing = 0;
  let lastWriteDone = Number.NEGATIVE_INFINITY;

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    if (buffered === 0) return chain;
    const blocks = pending;
    const released = waiters;
    pending = new Map();
    waiters = [];
    buffered = 0;
    writing++;
    chain = chain.then(async () => {
      try {
        for (const [table, { rows, sources }] of blocks) await opts.write(table, rows, tokenOf(table, sources));
        for (const w of released) w.resolve();
      } catch (err) {
        for (const w of released) w.reject(err as Error);
      } finally {
        writing--;
        lastWriteDone = Date.now();
      }
    });
    return chain;
  }

  return {
    add(table: AnalyticsTable, rows: T[], source: SourceRange): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        let block = pending.get(table);
        if (!block) pending.set(table, (block = { rows: [], sources: [] }));
        for (const r of rows) block.rows.push(r);
        block.sources.push(source);
        buffered += rows.length;
        waiters.push({ resolve, reject });
        const idle = opts.eagerWhenIdle && writing === 0 && Date.now() - lastWriteDone >= opts.flushMs;
        if (idle || buffered >= opts.flushRows || waiters.length >= opts.maxWaiters) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), opts.flushMs);
      });
    },
    flush,
    get bufferedRows() {
      return buffered;
    },
  };
}
export type Batcher<T = object> = ReturnType<typeof createBatcher<T>>;

export function tokenOf(table: string, sources: SourceRange[]): string {
  const ranges = sources
    .map((s) => `${s.topic}/${s.partition}/${s.first}-${s.last}`)
    .sort()
    .join(',');
  return `${table}:${createHash('sha256').update(ranges).digest('hex').slice(0, 32)}`;
}
