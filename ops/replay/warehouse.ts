import type { Kafka } from 'kafkajs';
import { toRow, specOf, type AnalyticsTable } from '../../analytics/rows';
import type { Warehouse } from '../../analytics/warehouse';
import { createRangeReader, type OffsetRange } from '../../stream-processors/replay/range-reader';
import { HARDWARE_CLASSES, requestsTopic, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import type { Registry } from '../../topics/registry';

/**
 * `conveyor replay warehouse`: reloads analytics tables from the retained
 * topics into fresh tables (`<table>__rebuild`, same engine) and swaps them in
 * with EXCHANGE TABLES. Rows older than the replayed range (or than the
 * retained log) are carried over from the old table; the replayed rows go in
 * blocks with insert-deduplication tokens (a retried block is a no-op), and
 * an OPTIMIZE … FINAL collapses a record delivered twice before the swap, so a
 * rebuild over complete data changes no count. Inserting into the fresh
 * table does not feed the materialized views (they read the live name), and
 * after the swap they keep reading the live name: aggregates are not counted
 * twice. Run it with the sink stopped (the embedded engine has one owner anyway).
 */
export const REBUILDABLE: AnalyticsTable[] = ['runs', 'run_requests', 'edit_activity', 'fleet_events'];

const timeColumn: Record<AnalyticsTable, string> = { runs: 'requested_at', run_requests: 'requested_at', edit_activity: 'at', fleet_events: 'at' };
const sourceTopics = (t: AnalyticsTable): string[] =>
  t === 'runs' ? [topics.results.name] : t === 'run_requests' ? HARDWARE_CLASSES.map((h) => requestsTopic(h).name) : t === 'edit_activity' ? [topics.edits.name] : [topics.fleet.name];
/** A result is produced after its request: read the topic from a little before --from, keep rows from --from. */
const SLACK_MS = 15 * 60 * 1000;

export interface TableRebuild { table: AnalyticsTable; fromMs: number; carried: number; replayed: number; before: number; after: number; ms: number }

async function count(wh: Warehouse, table: string): Promise<number> {
  const [r] = await wh.query<{ n: number | string }>(`SELECT count() AS n FROM ${table} FINAL`);
  return Number(r?.n ?? 0);
}

export async function rebuildWarehouse(kafka: Kafka, registry: Registry, wh: Warehouse, o: { tables?: AnalyticsTable[]; fromMs?: number; blockRows?: number; onProgress?: (m: string) => void } = {}): Promise<TableRebuild[]> {
  const tables = o.tables ?? REBUILDABLE;
  for (const t of tables) if (!REBUILDABLE.includes(t)) throw Object.assign(new Error(`Table "${t}" cannot be rebuilt from topics; choose from ${REBUILDABLE.join(', ')}.`), { code: 'invalid_table' });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const out: TableRebuild[] = [];
  try {
    for (const table of tables) {
      const t0 = Date.now();
      const names = sourceTopics(table).filter((n) => existing.has(n));
      const reader = await createRangeReader(kafka, names.length ? names : [topics.edits.name]);
      try {
        // Where the retained log starts: rows older than that only live in the old table.
        let retainedFrom = Number.MAX_SAFE_INTEGER;
        const ranges: OffsetRange[] = [];
        const bounds = new Map<string, Map<number, { low: number; high: number }>>();
        for (const name of names) {
          const b = new Map((await admin.fetchTopicOffsets(name)).map((r) => [r.partition, { low: Number(r.low), high: Number(r.high) }]));
          bounds.set(name, b);
          for (const [p, { low, high }] of b) {
            if (high <= low) continue;
            await reader.read([{ topic: name, partition: p, from: low, to: low + 1 }], (m) => {
              retainedFrom = Math.min(retainedFrom, Number(m.timestamp));
            }, { timeoutMs: 15000 });
          }
        }
        const fromMs = Math.max(o.fromMs ?? 0, retainedFrom === Number.MAX_SAFE_INTEGER ? Date.now() : retainedFrom);
        for (const name of names) {
          const lo = new Map((await admin.fetchTopicOffsetsByTimestamp(name, Math.max(0, fromMs - SLACK_MS))).map((r) => [r.partition, Number(r.offset)]));
          for (const [p, { low, high }] of bounds.get(name)!) ranges.push({ topic: name, partition: p, from: Math.max(low, lo.get(p) ?? low), to: high });
        }
        const fresh = `${table}__rebuild`;
        const before = await count(wh, table);
        await wh.command(`DROP TABLE IF EXISTS ${fresh}`);
        await wh.command(`CREATE TABLE ${fresh} AS ${table}`);
        const fromSec = (fromMs / 1000).toFixed(3);
        await wh.command(`INSERT INTO ${fresh} SELECT * FROM ${table} WHERE ${timeColumn[table]} < toDateTime64(${fromSec}, 3, 'UTC')`);
        const carried = await count(wh, fresh);

        const spec = specOf(table);
        const blockRows = o.blockRows ?? 20000;
        let block: object[] = [];
        let replayed = 0;
        let blockFirst = '';
        const flush = async (last: string) => {
          if (!block.length) return;
          await wh.insert(fresh, block, { token: `rebuild-${table}-${blockFirst}-${last}-${block.length}` });
          replayed += block.length;
          block = [];
          o.onProgress?.(`${table}: ${replayed} rows replayed`);
        };
        let lastPos = '';
        const fromCheck = fromMs;
        await reader.read(ranges, async (m, r) => {
          const d = await decodeValue(registry, m.value, spec);
          if (!d.ok) return;
          let row: Record<string, unknown>;
          try {
            row = toRow(table, d.value, { topic: r.topic, partition: r.partition, offset: Number(m.offset) }) as Record<string, unknown>;
          } catch {
            return; // the sink dead-letters such records; they were never rows
          }
          if (Number(row[timeColumn[table]]) < fromCheck) return;
          lastPos = `${r.topic}:${r.partition}:${m.offset}`;
          if (!block.length) blockFirst = lastPos;
          block.push(row);
          if (block.length >= blockRows) await flush(lastPos);
        }, { timeoutMs: 600000 });
        await flush(lastPos);
        await wh.command(`OPTIMIZE TABLE ${fresh} FINAL`);
        await wh.command(`EXCHANGE TABLES ${table} AND ${fresh}`);
        await wh.command(`DROP TABLE ${fresh}`);
        const after = await count(wh, table);
        out.push({ table, fromMs, carried, replayed, before, after, ms: Date.now() - t0 });
      } finally {
        await reader.close().catch(() => {});
      }
    }
    return out;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
