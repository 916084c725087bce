import { randomUUID } from 'node:crypto';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { toRow } from '../../analytics/rows';
import { rebuildWarehouse } from '../../ops/replay/warehouse';
import { requestsTopic, topics } from '../../topics/catalog';
import { createTypedProducer, type TypedProducer } from '../../topics/codec';
import { editEvent, runRequest, runResult, tmpDir } from '../analytics/fixtures';
import { realInfra } from '../support/infra';

const { kafka, registry } = realInfra('replay-warehouse-test');
let wh: Warehouse;
let producer: TypedProducer;
const prefix = `wr${randomUUID().slice(0, 8)}`;
const deps = `${prefix}-deps`;

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('replay-wh') });
  await migrate(wh);
  producer = await createTypedProducer(kafka, registry);
});

afterAll(async () => {
  await producer?.disconnect();
  await wh?.close();
});

async function counts() {
  const one = async (sql: string) => Number((await wh.query<{ n: number | string }>(sql, { p: `${prefix}%`, d: deps }))[0]?.n ?? 0);
  return {
    runs: await one(`SELECT count() AS n FROM runs FINAL WHERE run_id LIKE {p:String}`),
    run_requests: await one(`SELECT count() AS n FROM run_requests FINAL WHERE run_id LIKE {p:String}`),
    edit_activity: await one(`SELECT count() AS n FROM edit_activity FINAL WHERE event_id LIKE {p:String}`),
    usage_runs: await one(`SELECT toUInt64(sum(runs)) AS n FROM usage_per_minute WHERE dependency_set = {d:String}`),
  };
}

describe('warehouse rebuild', () => {
  it('reloads the tables from the retained topics into fresh tables and swaps them in without changing any count', async () => {
    const at = Date.now();
    const results = Array.from({ length: 60 }, (_, i) => runResult(prefix, i, { at: at + i, dependencySet: deps }));
    // Redelivered records (an executor restarted, the sink retried) are in the log twice.
    await producer.send(topics.results, [...results, ...results.slice(0, 10)].map((r) => ({ key: r.runId, value: r })));
    const requests = Array.from({ length: 30 }, (_, i) => runRequest(prefix, i, at + i));
    for (const r of requests) await producer.send(requestsTopic(r.hardwareClass), [{ key: r.sessionId, value: r }]);
    await producer.send(topics.edits, Array.from({ length: 80 }, (_, i) => editEvent(prefix, i, at + i)).map((e) => ({ key: e.sessionId, value: e })));

    // The warehouse holds these records as the sink loads them: rows built by the sink's row builder, one insert
    // per topic (the usage materialized view counts them once). The redelivered results collapse by run id.
    const load = async (table: 'runs' | 'run_requests' | 'edit_activity', recs: unknown[], topic: string) =>
      wh.insert(table, recs.map((r, i) => toRow(table, r, { topic, partition: 0, offset: i })));
    await load('runs', [...results, ...results.slice(0, 10)], topics.results.name);
    await load('run_requests', requests, 'runs.requests.x86_64');
    await load('edit_activity', Array.from({ length: 80 }, (_, i) => editEvent(prefix, i, at + i)), topics.edits.name);
    const loaded = await counts();
    expect(loaded).toEqual({ runs: 60, run_requests: 30, edit_activity: 80, usage_runs: loaded.usage_runs });

    const full = (await rebuildWarehouse(kafka, registry, wh, { tables: ['runs', 'run_requests', 'edit_activity'] })).tables;
    expect(full.map((t) => t.table)).toEqual(['runs', 'run_requests', 'edit_activity']);
    for (const t of full) expect(t.replayed).toBeGreaterThan(0);
    expect(await counts()).toEqual(loaded);

    // From a moment inside the data: older rows are carried over, newer ones replayed; still no count changes.
    const partial = (await rebuildWarehouse(kafka, registry, wh, { tables: ['runs'], fromMs: at + 30 })).tables;
    expect(partial[0]!.carried).toBeGreaterThan(0);
    expect(partial[0]!.replayed).toBeGreaterThan(0);
    // Every row the log holds is in the table now: a second rebuild changes no count at all.
    expect(partial[0]!.after).toBe(partial[0]!.before);
    expect(await counts()).toEqual(loaded);
    const tables = await wh.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%__rebuild'`);
    expect(tables).toEqual([]);
  }, 120000);

  it('carries over a row whose own time is past --from when its record was written before it (a skewed clock), instead of losing it', async () => {
    const future = Date.now() + 2 * 86400 * 1000;
    const skewed = { ...runResult(prefix, 900, { at: future + 3600 * 1000, dependencySet: deps }), runId: `${prefix}-skewed` };
    await producer.send(topics.results, [{ key: skewed.runId, value: skewed }]);
    await wh.insert('runs', [toRow('runs', skewed, { topic: topics.results.name, partition: 0, offset: 0 })]);
    const has = async () => Number((await wh.query<{ n: number | string }>(`SELECT count() AS n FROM runs FINAL WHERE run_id = {id:String}`, { id: skewed.runId }))[0]?.n ?? 0);
    expect(await has()).toBe(1);
    // Nothing was written after --from: nothing is replayed, everything is carried, the skewed row too.
    const [t] = (await rebuildWarehouse(kafka, registry, wh, { tables: ['runs'], fromMs: future })).tables;
    expect(t!.replayed).toBe(0);
    expect(t!.after).toBe(t!.before);
    expect(await has()).toBe(1);
  }, 120000);

  it('stops at Ctrl-C after the block in hand and resumes from there without changing any count; the job and its operators are in replay_jobs', async () => {
    const before = await counts();
    expect(before.runs).toBeGreaterThan(0);
    const stateDir = tmpDir('replay-wh-state');
    const abort = new AbortController();
    const first = await rebuildWarehouse(kafka, registry, wh, {
      tables: ['edit_activity', 'runs'], blockRows: 10, stateDir, signal: abort.signal, operator: 'first (operator token aaa)',
      onProgress: (m) => { if (m.includes('rows replayed')) abort.abort(); },
    });
    expect(first).toMatchObject({ cancelled: true, tables: [] });
    // The fresh table stays for the resume; the live one is untouched.
    expect(await wh.query(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'edit_activity__rebuild'`)).toHaveLength(1);
    expect(await counts()).toEqual(before);
    const job = async () => (await wh.query<{ state: string; operator: string; kind: string }>(`SELECT state, operator, kind FROM replay_jobs FINAL WHERE job_id = {id:String}`, { id: first.id }))[0];
    expect(await job()).toEqual({ state: 'cancelled', operator: 'first (operator token aaa)', kind: 'warehouse' });

    const rest = await rebuildWarehouse(kafka, registry, wh, { resume: first.id, stateDir, operator: 'second (operator token bbb)', onProgress: () => {} });
    expect(rest.cancelled).toBe(false);
    expect(rest.tables.map((t) => t.table)).toEqual(['edit_activity', 'runs']);
    for (const t of rest.tables) expect(t.after).toBe(t.before);
    expect(await counts()).toEqual(before);
    expect(await job()).toEqual({ state: 'done', operator: 'first (operator token aaa), resumed by second (operator token bbb)', kind: 'warehouse' });
    expect(await wh.query(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%__rebuild'`)).toEqual([]);
    await expect(rebuildWarehouse(kafka, registry, wh, { resume: first.id, stateDir, operator: 'x' })).rejects.toMatchObject({ code: 'job_done' });
  }, 180000);
});
