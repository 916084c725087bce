import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { avroInsert, envelopeSchema, type AvroRecord } from '../../analytics/avro-rows';
import { migrate } from '../../analytics/migrations';
import { toRow, type AnalyticsTable } from '../../analytics/rows';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { AvroContainer } from '../../consumers/sink/avro-container';
import { loadSchema, requestsTopic, topics, type TopicSpec } from '../../topics/catalog';
import { editEvent, runRequest, runResult, tmpDir } from './fixtures';
import type { FleetEvent } from '../../topics/types';

/**
 * The sink loads records two ways: ClickHouse reading the Avro bytes
 * (analytics/avro-rows.ts) and JavaScript decoding them (analytics/rows.ts).
 * Both must produce the very same rows, column for column, on the real engine.
 */
let wh: Warehouse;
let dir: string;
let staleSpool: string;
beforeAll(async () => {
  // Spool files left in /dev/shm by a process that died hold memory: the next warehouse removes them.
  const dead = spawnSync('true').pid!;
  staleSpool = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `conveyor-spool-${dead}-test`);
  fs.mkdirSync(staleSpool, { recursive: true });
  fs.writeFileSync(path.join(staleSpool, 'left-behind.avro'), 'x');
  dir = tmpDir('avro-rows');
  wh = await openWarehouse({ dataDir: dir });
  await migrate(wh);
});
afterAll(async () => {
  await wh?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const idColumn: Record<AnalyticsTable, string> = { runs: 'run_id', run_requests: 'run_id', edit_activity: 'event_id', fleet_events: 'event_id' };

/** Loads `records` (encoded with `writer`) both ways and returns the rows of each, ordered by id. */
async function loadBothWays(table: AnalyticsTable, spec: TopicSpec, records: unknown[], writer: AvroRecord = loadSchema(spec) as unknown as AvroRecord) {
  const reader = loadSchema(spec) as unknown as AvroRecord;
  const writerType = avro.Type.forSchema(writer as avro.Schema);
  const readerType = avro.Type.forSchema(reader as avro.Schema);
  const resolver = readerType.createResolver(writerType);
  const container = new AvroContainer();
  const rows: object[] = [];
  records.forEach((r, i) => {
    const bytes = writerType.toBuffer(r);
    container.add(1000 + i, 3, bytes);
    rows.push(toRow(table, readerType.fromBuffer(bytes, resolver), { topic: 'via-js', partition: 3, offset: 1000 + i }));
  });
  const { sql, params } = avroInsert(table, [{ writer, topic: 'via-clickhouse' }]);
  await wh.insertFiles!(sql, params, [container.toBuffer(envelopeSchema(writer))], { token: `t-${Math.random()}` });
  await wh.insert(table, rows, { token: `j-${Math.random()}` });
  const prefix = String((records[0] as Record<string, unknown>)[idColumn[table] === 'event_id' ? 'eventId' : 'runId']).split('-')[0]!;
  const read = (topic: string) =>
    wh.query<Record<string, unknown>>(
      `SELECT * EXCEPT kafka_topic FROM ${table} WHERE kafka_topic = {topic:String} AND startsWith(${idColumn[table]}, {prefix:String}) ORDER BY ${idColumn[table]}`,
      { topic, prefix: `${prefix}-` },
    );
  return { clickhouse: await read('via-clickhouse'), js: await read('via-js') };
}

describe('Avro loaded by ClickHouse equals Avro decoded by the sink', () => {
  it('the embedded warehouse removed the spool files of a dead process when it opened', () => {
    expect(fs.existsSync(staleSpool)).toBe(false);
  });

  it('run results: compile and run present or absent, odd strings, clamped values', async () => {
    const records = [
      runResult('res', 0),
      runResult('res', 2, { compile: null, run: null, status: 'internal_error', message: 'boom' }),
      runResult('res', 3, { language: "it's\ta \"test\"\n", executorId: 'é😀', programVersion: -4, attempt: 70000, fileCount: -1 }),
      runResult('res', 4, { startedAtMs: Date.now() - 10_000, requestedAtMs: Date.now(), finishedAtMs: Date.now() + 5 }),
      runResult('res', 5, { run: { status: 'ok', stdout: 'ünïcode 😀\n'.repeat(50), stderr: 'warn', exitCode: 0, signal: null, wallMs: 7, cpuMs: 3, peakMemoryBytes: 2 ** 40, stdoutTruncated: true, stderrTruncated: false } }),
    ];
    const { clickhouse, js } = await loadBothWays('runs', topics.results, records);
    expect(clickhouse).toHaveLength(records.length);
    expect(clickhouse).toEqual(js);
    expect(clickhouse.find((r) => r.run_id === 'res-run-2')).toMatchObject({ compiled: 0, executed: 0, compile_ms: 0, run_ms: 0 });
    expect(clickhouse.find((r) => r.run_id === 'res-run-3')).toMatchObject({ program_version: 0, attempt: 65535, file_count: 0 });
  });

  it('run requests and edit metadata, including characters outside the BMP', async () => {
    const reqs = [runRequest('eq', 0), { ...runRequest('eq', 1), stdin: 'x'.repeat(300), args: ['a', 'b'], compilerFlags: [], streamOutput: false, source: 'piston' }];
    const r = await loadBothWays('run_requests', requestsTopic('x86_64'), reqs);
    expect(r.clickhouse).toHaveLength(2);
    expect(r.clickhouse).toEqual(r.js);

    const edits = [editEvent('eq', 0), { ...editEvent('eq', 1), ops: [{ file: 'a', offset: 0, deleteCount: 3, insert: 'a😀b' }, { file: 'a', offset: 2, deleteCount: 0, insert: 'ü' }] }];
    const e = await loadBothWays('edit_activity', topics.edits, edits);
    expect(e.clickhouse).toEqual(e.js);
    // 'a😀b' is 4 UTF-16 units, 'ü' one: as the browser editor counts.
    expect(e.clickhouse.find((x) => x.event_id === 'eq-edit-1')).toMatchObject({ inserted_chars: 5, deleted_chars: 3, op_count: 2 });
  });

  it('fleet events: member changes with nulls, and scaling decisions with their inputs', async () => {
    const at = Date.now();
    const base = { timestampMs: at, hardwareClass: 'x86_64', memberId: null, state: null, previousState: null, desired: null, actual: null, min: null, max: null, applied: true, actor: 'manager', inputsJson: null, managerId: 'fm-1' } as const;
    const records: FleetEvent[] = [
      { ...base, eventId: 'fl-0', kind: 'member_state', memberId: 'executor-x86_64-1', state: 'ready', previousState: 'starting', actual: 2, reason: 'joined the group' },
      { ...base, eventId: 'fl-1', kind: 'desired_changed', desired: 3, min: 0, max: 8, actor: 'operator', reason: "fleet scale x86_64 3 \"now\"" },
      { ...base, eventId: 'fl-2', kind: 'scale_decision', desired: 5, applied: false, actor: 'scaler', inputsJson: JSON.stringify({ forecast: 41.5, backlog: 3 }), reason: 'observe: ramp ahead' },
    ];
    const { clickhouse, js } = await loadBothWays('fleet_events', topics.fleet, records);
    expect(clickhouse).toHaveLength(3);
    expect(clickhouse).toEqual(js);
    expect(clickhouse[0]).toMatchObject({ kind: 'member_state', state: 'ready', previous_state: 'starting', desired: null, actual: 2, applied: 1 });
    expect(clickhouse[2]).toMatchObject({ applied: 0, inputs_json: '{"forecast":41.5,"backlog":3}', member_id: '' });
  });

  it('reads an older writer schema, taking the reader defaults for fields it lacks', async () => {
    const current = loadSchema(topics.results) as unknown as AvroRecord;
    const older: AvroRecord = { ...current, fields: current.fields.filter((f) => !['attempt', 'outputChunks', 'source'].includes(f.name)) };
    const records = [runResult('old', 0), runResult('old', 1)].map((r) => {
      const { attempt: _a, outputChunks: _o, source: _s, ...rest } = r;
      return rest;
    });
    const { clickhouse, js } = await loadBothWays('runs', topics.results, records, older);
    expect(clickhouse).toEqual(js);
    expect(clickhouse[0]).toMatchObject({ attempt: 1, source: 'rest' });
  });
});
