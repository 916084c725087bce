import { HARDWARE_CLASSES, requestsTopic, topics, unprefixed, type TopicSpec } from '../topics/catalog';
import type { EditEvent, FleetEvent, RunRequest, RunResultRecord } from '../topics/types';

/**
 * Rows of the analytics tables, built from decoded Avro records. Pure
 * functions: the sink adds where the record came from (topic, partition,
 * offset) so each row can be traced and the sink can tell what it loaded.
 */
export interface Origin { topic: string; partition: number; offset: number }

export type AnalyticsTable = 'runs' | 'run_requests' | 'edit_activity' | 'fleet_events';

export class RowError extends Error {
  readonly code = 'invalid_record';
}

function ms(v: unknown, field: string): number {
  const n = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new RowError(`${field} is not a timestamp (got ${JSON.stringify(v)})`);
  return Math.round(n);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new RowError(`${field} is missing or not a string`);
  return v;
}

const u32 = (n: number) => Math.max(0, Math.min(0xffffffff, Math.round(n)));
const u16 = (n: number) => Math.max(0, Math.min(0xffff, Math.round(n)));
const origin = (o: Origin) => ({ kafka_topic: o.topic, kafka_partition: o.partition, kafka_offset: o.offset });

export function runRow(r: RunResultRecord, o: Origin) {
  const requested = ms(r.requestedAtMs, 'requestedAtMs');
  const started = ms(r.startedAtMs, 'startedAtMs');
  const finished = ms(r.finishedAtMs, 'finishedAtMs');
  return {
    run_id: str(r.runId, 'runId'),
    session_id: str(r.sessionId, 'sessionId'),
    user_id: str(r.userId, 'userId'),
    source: r.source ?? '',
    language: str(r.language, 'language'),
    language_version: r.languageVersion ?? '',
    dependency_set: str(r.dependencySet, 'dependencySet'),
    hardware_class: str(r.hardwareClass, 'hardwareClass'),
    executor_id: r.executorId ?? '',
    program_version: u32(r.programVersion ?? 0),
    status: str(r.status, 'status'),
    requested_at: requested,
    started_at: started,
    finished_at: finished,
    queue_wait_ms: u32(started - requested),
    latency_ms: u32(finished - requested),
    compiled: r.compile ? 1 : 0,
    executed: r.run ? 1 : 0,
    compile_ms: u32(r.compile?.wallMs ?? 0),
    run_ms: u32(r.run?.wallMs ?? 0),
    cpu_ms: u32((r.compile?.cpuMs ?? 0) + (r.run?.cpuMs ?? 0)),
    peak_memory_bytes: Math.max(0, r.compile?.peakMemoryBytes ?? 0, r.run?.peakMemoryBytes ?? 0),
    cache_hit: r.cacheHit ? 1 : 0,
    pooled: r.pooled ? 1 : 0,
    source_bytes: u32(r.sourceBytes ?? 0),
    file_count: u16(r.fileCount ?? 0),
    stdout_bytes: u32(Buffer.byteLength(r.run?.stdout ?? '')),
    stderr_bytes: u32(Buffer.byteLength(r.run?.stderr ?? '') + Buffer.byteLength(r.compile?.stderr ?? '')),
    attempt: u16(r.attempt ?? 1),
    ...schedulingColumns(r, requested, started, finished),
    ...origin(o),
  };
}

/** Scheduling columns: wait for a slot once the text was ready, prediction, slowdown = latency ÷ own slot time. */
function schedulingColumns(r: RunResultRecord, requested: number, started: number, finished: number) {
  const queuedAt = r.queuedAtMs ?? 0;
  const slot = Math.max(0, finished - started);
  return {
    scheduler: r.scheduler ?? '',
    slot_wait_ms: queuedAt > 0 ? u32(started - queuedAt) : 0,
    predicted_compile_ms: u32(r.predictedCompileMs ?? 0),
    predicted_run_ms: u32(r.predictedRunMs ?? 0),
    prediction_basis: r.predictionBasis ?? '',
    slot_ms: u32(slot),
    slowdown: Math.fround((finished - requested) / Math.max(1, slot)),
  };
}

export function requestRow(r: RunRequest, o: Origin) {
  return {
    run_id: str(r.runId, 'runId'),
    session_id: str(r.sessionId, 'sessionId'),
    user_id: str(r.userId, 'userId'),
    requested_at: ms(r.requestedAtMs, 'requestedAtMs'),
    source: r.source ?? '',
    language: str(r.language, 'language'),
    language_version: r.languageVersion ?? '',
    dependency_set: str(r.dependencySet, 'dependencySet'),
    hardware_class: str(r.hardwareClass, 'hardwareClass'),
    program_version: u32(r.programVersion ?? 0),
    stdin_bytes: u32(Buffer.byteLength(r.stdin ?? '')),
    arg_count: u16(r.args?.length ?? 0),
    compiler_flags: r.compilerFlags ?? [],
    stream_output: r.streamOutput ? 1 : 0,
    ...origin(o),
  };
}

/** Edit metadata and sizes only: the program text never reaches analytics. */
export function editRow(e: EditEvent, o: Origin) {
  let inserted = 0;
  let deleted = 0;
  for (const op of e.ops ?? []) {
    inserted += op.insert?.length ?? 0;
    deleted += op.deleteCount ?? 0;
  }
  return {
    event_id: str(e.eventId, 'eventId'),
    session_id: str(e.sessionId, 'sessionId'),
    user_id: str(e.userId, 'userId'),
    at: ms(e.timestampMs, 'timestampMs'),
    kind: str(e.kind, 'kind'),
    language: str(e.language, 'language'),
    dependency_set: str(e.dependencySet, 'dependencySet'),
    hardware_class: str(e.hardwareClass, 'hardwareClass'),
    base_version: u32(e.baseVersion ?? 0),
    version: u32(e.version ?? 0),
    op_count: u32(e.ops?.length ?? 0),
    inserted_chars: u32(inserted),
    deleted_chars: u32(deleted),
    file_count: u16(e.files?.length ?? 0),
    text_bytes: u32(e.textBytes ?? 0),
    ...origin(o),
  };
}

/** Fleet changes and scaling decisions, as `conveyor fleet history` and the ops reports read them. */
export function fleetRow(e: FleetEvent, o: Origin) {
  const int = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v));
  return {
    event_id: str(e.eventId, 'eventId'),
    at: ms(e.timestampMs, 'timestampMs'),
    kind: str(e.kind, 'kind'),
    hardware_class: str(e.hardwareClass, 'hardwareClass'),
    member_id: e.memberId ?? '',
    state: e.state ?? '',
    previous_state: e.previousState ?? '',
    desired: int(e.desired),
    actual: int(e.actual),
    min: int(e.min),
    max: int(e.max),
    applied: e.applied === false ? 0 : 1,
    reason: e.reason ?? '',
    actor: e.actor ?? '',
    inputs_json: e.inputsJson ?? '',
    manager_id: e.managerId ?? '',
    ...origin(o),
  };
}

/** Which table a topic loads into, and how a record becomes a row. */
export function tableOf(name: string): AnalyticsTable | null {
  // Benchmarks load copies of the real topics ("bench.runs.results") so they never touch live data.
  const topic = unprefixed(name.replace(/^bench\./, ''));
  if (topic === 'runs.results') return 'runs';
  if (topic.startsWith('runs.requests.')) return 'run_requests';
  if (topic === 'editor.edits') return 'edit_activity';
  if (topic === 'ops.fleet') return 'fleet_events';
  return null;
}

/** The topic whose current schema a table's records are read with (all runs.requests.* share one). */
export function specOf(table: AnalyticsTable): TopicSpec {
  if (table === 'fleet_events') return topics.fleet;
  return table === 'runs' ? topics.results : table === 'edit_activity' ? topics.edits : requestsTopic(HARDWARE_CLASSES[0]!);
}

export function toRow(table: AnalyticsTable, record: unknown, o: Origin): object {
  if (record === null || typeof record !== 'object') throw new RowError('record is not an object');
  switch (table) {
    case 'runs':
      return runRow(record as RunResultRecord, o);
    case 'run_requests':
      return requestRow(record as RunRequest, o);
    case 'edit_activity':
      return editRow(record as EditEvent, o);
    case 'fleet_events':
      return fleetRow(record as FleetEvent, o);
  }
}
