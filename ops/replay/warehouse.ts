import type { Kafka } from 'kafkajs';
import { toRow, specOf, type AnalyticsTable } from '../../analytics/rows';
import type { Warehouse } from '../../analytics/warehouse';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { HARDWARE_CLASSES, requestsTopic, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import { JobError, newJobId, pacer, recordJob, resumeJob, saveJob, type JobRecord } from './jobs';

/**
 * `conveyor replay warehouse`: reloads analytics tables from the retained
 * topics into fresh tables (`<table>__rebuild`, same engine) and swaps them in
 * with EXCHANGE TABLES. The replayed range of each partition starts at the
 * first record written at or after --from (or at the start of the retained
 * log); rows whose source record (kafka_topic, kafka_partition, kafka_offset)
 * lies before it are carried over from the old table, every record from it on
 * is replayed. Splitting by position, not by the row's own time column, keeps
 * a row whose time is far from its record's (a skewed clock) in exactly one
 * of the two. The replayed rows go in
 * blocks with insert-deduplication tokens (a retried block is a no-op), and
 * an OPTIMIZE … FINAL collapses a record delivered twice before the swap, so a
 * rebuild over complete data changes no count. Inserting into the fresh
 * table does not feed the materialized views (they read the live name), and
 * after the swap they keep reading the live name: aggregates are not counted
 * twice. Run it with the sink stopped (the embedded engine has one owner anyway).
 * Ctrl-C stops it after the block in hand; `--resume <job>` goes on from
 * there (the fresh table and the positions read are kept), and every job is
 * recorded with its operator in `replay_jobs`.
 */
export const REBUILDABLE: AnalyticsTable[] = ['runs', 'run_requests', 'edit_activity', 'fleet_events'];

const sourceTopics = (t: AnalyticsTable): string[] =>
  t === 'runs' ? [topics.results.name] : t === 'run_requests' ? HARDWARE_CLASSES.map((h) => requestsTopic(h).name) : t === 'edit_activity' ? [topics.edits.name] : [topics.fleet.name];
/** The rows of a table that came from before the replayed ranges (topic names are the catalog's, offsets numbers). */
const carriedWhere = (ranges: OffsetRange[]): string =>
  ranges.length ? `NOT (${ranges.map((r) => `(kafka_topic = '${r.topic.replace(/'/g, "\\'")}' AND kafka_partition = ${r.partition} AND kafka_offset >= ${r.from})`).join(' OR ')})` : '1';

export interface TableRebuild { table: AnalyticsTable; fromMs: number; carried: number; replayed: number; before: number; after: number; ms: number }

/** The table being rebuilt when a job stopped: its fresh table holds `carried` + `replayed` rows, read up to `next`. */
interface TableInProgress { table: AnalyticsTable; fromMs: number; ranges: OffsetRange[]; next: Record<string, number>; carried: number; replayed: number; before: number; ms: number }
export interface WarehouseProgress { done: TableRebuild[]; current: TableInProgress | null }

export interface RebuildOptions {
  tables?: AnalyticsTable[];
  fromMs?: number;
  blockRows?: number;
  operator?: string;
  /** Records read per second at most (default: no limit). */
  ratePerSecond?: number;
  /** Where job state lives (a cancelled rebuild resumes from it). Default: no state file. */
  stateDir?: string;
  /** A cancelled rebuild's job id: go on from its last inserted block, with the tables and moment it started with. */
  resume?: string;
  signal?: AbortSignal;
  onProgress?: (m: string) => void;
}

export interface RebuildOutcome { id: string; tables: TableRebuild[]; cancelled: boolean }

async function count(wh: Warehouse, table: string): Promise<number> {
  const [r] = await wh.query<{ n: number | string }>(`SELECT count() AS n FROM ${table} FINAL`);
  return Number(r?.n ?? 0);
}

async function exists(wh: Warehouse, table: string): Promise<boolean> {
  const [r] = await wh.query<{ n: number | string }>(`SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {t:String}`, { t: table });
  return Number(r?.n ?? 0) > 0;
}

const posKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Rebuilds the tables; the job (who, what, where it stands) is a state file
 * under `stateDir` and a `replay_jobs` row, written at the start, after every
 * inserted block (state file) and at the end or on cancel (both).
 */
export async function rebuildWarehouse(kafka: Kafka, registry: Registry, wh: Warehouse, o: RebuildOptions = {}): Promise<RebuildOutcome> {
  const operator = o.operator ?? 'unknown';
  let job: JobRecord<WarehouseProgress>;
  if (o.resume) {
    if (!o.stateDir) throw new JobError('unknown_job', 'Resuming a rebuild needs its state directory.');
    job = resumeJob<WarehouseProgress>(o.stateDir, o.resume, 'warehouse', operator);
  } else {
    const tables = o.tables ?? REBUILDABLE;
    for (const t of tables) if (!REBUILDABLE.includes(t)) throw Object.assign(new Error(`Table "${t}" cannot be rebuilt from topics; choose from ${REBUILDABLE.join(', ')}.`), { code: 'invalid_table' });
    const now = Date.now();
    job = { id: newJobId('warehouse'), kind: 'warehouse', operator, startedAtMs: now, updatedAtMs: now, state: 'running', args: { tables, fromMs: o.fromMs ?? null, blockRows: o.blockRows ?? null }, progress: { done: [], current: null } };
  }
  const args = job.args as { tables: AnalyticsTable[]; fromMs: number | null; blockRows: number | null };
  const save = () => o.stateDir && saveJob(o.stateDir, job);
  save();
  await recordJob(wh, job);
  const pace = pacer(o.ratePerSecond, o.signal);
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const p = job.progress;
  let cancelled = false;
  try {
    for (const table of args.tables) {
      if (p.done.some((d) => d.table === table)) continue;
      if (o.signal?.aborted) {
        cancelled = true;
        break;
      }
      const t0 = Date.now();
      const fresh = `${table}__rebuild`;
      const names = sourceTopics(table).filter((n) => existing.has(n));
      const reader = await createRangeReader(kafka, names.length ? names : [topics.edits.name]);
      try {
        if (!(p.current?.table === table && (await exists(wh, fresh)))) {
          // Where the retained log starts: rows older than that only live in the old table.
          let retainedFrom = Number.MAX_SAFE_INTEGER;
          const ranges: OffsetRange[] = [];
          const bounds = new Map<string, Map<number, { low: number; high: number }>>();
          for (const name of names) {
            const b = new Map((await admin.fetchTopicOffsets(name)).map((r) => [r.partition, { low: Number(r.low), high: Number(r.high) }]));
            bounds.set(name, b);
            for (const [part, { low, high }] of b) {
              if (high <= low) continue;
              await reader.read([{ topic: name, partition: part, from: low, to: low + 1 }], (m) => {
                retainedFrom = Math.min(retainedFrom, Number(m.timestamp));
              }, { timeoutMs: 15000 });
            }
          }
          const fromMs = Math.max(args.fromMs ?? 0, retainedFrom === Number.MAX_SAFE_INTEGER ? Date.now() : retainedFrom);
          for (const name of names) {
            const lo = new Map((await admin.fetchTopicOffsetsByTimestamp(name, fromMs)).map((r) => [r.partition, Number(r.offset)]));
            for (const [part, { low, high }] of bounds.get(name)!) ranges.push({ topic: name, partition: part, from: Math.max(low, lo.get(part) ?? low), to: high });
          }
          const before = await count(wh, table);
          await wh.command(`DROP TABLE IF EXISTS ${fresh}`);
          await wh.command(`CREATE TABLE ${fresh} AS ${table}`);
          await wh.command(`INSERT INTO ${fresh} SELECT * FROM ${table} WHERE ${carriedWhere(ranges)}`);
          p.current = { table, fromMs, ranges, next: {}, carried: await count(wh, fresh), replayed: 0, before, ms: 0 };
          save();
        } else {
          o.onProgress?.(`${table}: resuming after ${p.current.replayed} rows replayed`);
        }
        const cur = p.current!;
        const spec = specOf(table);
        const blockRows = args.blockRows ?? 20000;
        let block: object[] = [];
        let blockFirst = '';
        const pending: Record<string, number> = {};
        // A block goes in with a token named after the records it holds: inserting it again (a resumed job repeats
        // at most the block it was inserting when it stopped) is a no-op, and OPTIMIZE FINAL collapses the rest.
        const flush = async (last: string) => {
          if (block.length) {
            await wh.insert(fresh, block, { token: `rebuild-${table}-${blockFirst}-${last}-${block.length}` });
            cur.replayed += block.length;
            block = [];
            o.onProgress?.(`${table}: ${cur.replayed} rows replayed`);
          }
          Object.assign(cur.next, pending);
          save();
        };
        let lastPos = '';
        const read = await reader.read(cur.ranges.map((r) => ({ ...r, from: Math.max(r.from, cur.next[posKey(r.topic, r.partition)] ?? r.from) })), async (m, r) => {
          await pace();
          pending[posKey(r.topic, r.partition)] = Number(m.offset) + 1;
          const d = await decodeValue(registry, m.value, spec);
          if (!d.ok) return;
          let row: Record<string, unknown>;
          try {
            row = toRow(table, d.value, { topic: r.topic, partition: r.partition, offset: Number(m.offset) }) as Record<string, unknown>;
          } catch {
            return; // the sink dead-letters such records; they were never rows
          }
          lastPos = `${r.topic}:${r.partition}:${m.offset}`;
          if (!block.length) blockFirst = lastPos;
          block.push(row);
          if (block.length >= blockRows) await flush(lastPos);
        }, { timeoutMs: 600000, signal: o.signal });
        await flush(lastPos);
        cur.ms += Date.now() - t0;
        if (read.cancelled) {
          cancelled = true;
          break;
        }
        await wh.command(`OPTIMIZE TABLE ${fresh} FINAL`);
        await wh.command(`EXCHANGE TABLES ${table} AND ${fresh}`);
        await wh.command(`DROP TABLE ${fresh}`);
        const after = await count(wh, table);
        p.done.push({ table, fromMs: cur.fromMs, carried: cur.carried, replayed: cur.replayed, before: cur.before, after, ms: cur.ms });
        p.current = null;
        save();
      } finally {
        await reader.close().catch(() => {});
      }
    }
  } catch (err) {
    job.state = 'failed';
    save();
    await recordJob(wh, job, { error: (err as Error).message }).catch(() => {});
    throw err;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  job.state = cancelled ? 'cancelled' : 'done';
  save();
  await recordJob(wh, job, p);
  return { id: job.id, tables: p.done, cancelled };
}
