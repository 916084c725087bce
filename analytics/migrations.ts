import type { Warehouse } from './warehouse';

/**
 * The analytics schema as an ordered list of versioned migrations. Each
 * statement is idempotent (IF NOT EXISTS), so a migration interrupted half way
 * is simply run again; a version is recorded in schema_migrations only after
 * all its statements succeeded. Never edit a released migration: add one.
 */
export interface Migration { version: number; name: string; statements: string[] }

/** Blocks remembered per table for insert_deduplication_token (non-replicated MergeTree keeps none by default). */
const DEDUP = 'non_replicated_deduplication_window = 10000';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'raw event tables',
    statements: [
      `CREATE TABLE IF NOT EXISTS runs (
        run_id String,
        session_id String,
        user_id String,
        source LowCardinality(String),
        language LowCardinality(String),
        language_version LowCardinality(String),
        dependency_set LowCardinality(String),
        hardware_class LowCardinality(String),
        executor_id LowCardinality(String),
        program_version UInt32,
        status LowCardinality(String),
        requested_at DateTime64(3, 'UTC'),
        started_at DateTime64(3, 'UTC'),
        finished_at DateTime64(3, 'UTC'),
        queue_wait_ms UInt32,
        latency_ms UInt32,
        compiled UInt8,
        executed UInt8,
        compile_ms UInt32,
        run_ms UInt32,
        cpu_ms UInt32,
        peak_memory_bytes UInt64,
        cache_hit UInt8,
        pooled UInt8,
        source_bytes UInt32,
        file_count UInt16,
        stdout_bytes UInt32,
        stderr_bytes UInt32,
        attempt UInt16,
        kafka_topic LowCardinality(String),
        kafka_partition UInt16,
        kafka_offset UInt64
      ) ENGINE = ReplacingMergeTree(attempt)
      PARTITION BY toYYYYMMDD(requested_at)
      ORDER BY (toStartOfHour(requested_at), hardware_class, dependency_set, run_id)
      TTL toDateTime(requested_at) + INTERVAL 400 DAY
      SETTINGS ${DEDUP}`,
      `CREATE TABLE IF NOT EXISTS run_requests (
        run_id String,
        session_id String,
        user_id String,
        requested_at DateTime64(3, 'UTC'),
        source LowCardinality(String),
        language LowCardinality(String),
        language_version LowCardinality(String),
        dependency_set LowCardinality(String),
        hardware_class LowCardinality(String),
        program_version UInt32,
        stdin_bytes UInt32,
        arg_count UInt16,
        compiler_flags Array(LowCardinality(String)),
        stream_output UInt8,
        kafka_topic LowCardinality(String),
        kafka_partition UInt16,
        kafka_offset UInt64
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(requested_at)
      ORDER BY (toStartOfHour(requested_at), hardware_class, dependency_set, run_id)
      TTL toDateTime(requested_at) + INTERVAL 90 DAY
      SETTINGS ${DEDUP}`,
      `CREATE TABLE IF NOT EXISTS edit_activity (
        event_id String,
        session_id String,
        user_id String,
        at DateTime64(3, 'UTC'),
        kind LowCardinality(String),
        language LowCardinality(String),
        dependency_set LowCardinality(String),
        hardware_class LowCardinality(String),
        base_version UInt32,
        version UInt32,
        op_count UInt32,
        inserted_chars UInt32,
        deleted_chars UInt32,
        file_count UInt16,
        text_bytes UInt32,
        kafka_topic LowCardinality(String),
        kafka_partition UInt16,
        kafka_offset UInt64
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(at)
      ORDER BY (toStartOfHour(at), session_id, version, event_id)
      TTL toDateTime(at) + INTERVAL 90 DAY
      SETTINGS ${DEDUP}`,
    ],
  },
  {
    version: 2,
    name: 'sink high-water marks per topic partition',
    statements: [
      `CREATE TABLE IF NOT EXISTS sink_offsets (
        topic LowCardinality(String),
        partition UInt16,
        max_offset SimpleAggregateFunction(max, UInt64)
      ) ENGINE = AggregatingMergeTree ORDER BY (topic, partition) SETTINGS ${DEDUP}`,
      ...['runs', 'run_requests', 'edit_activity'].map(
        (t) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t}_offsets_mv TO sink_offsets AS
          SELECT kafka_topic AS topic, kafka_partition AS partition, max(kafka_offset) AS max_offset
          FROM ${t} GROUP BY topic, partition`,
      ),
    ],
  },
  {
    version: 3,
    name: 'per-minute usage per hardware class and dependency set',
    statements: [
      `CREATE TABLE IF NOT EXISTS usage_per_minute (
        minute DateTime('UTC'),
        hardware_class LowCardinality(String),
        dependency_set LowCardinality(String),
        language LowCardinality(String),
        runs SimpleAggregateFunction(sum, UInt64),
        compiles SimpleAggregateFunction(sum, UInt64),
        executions SimpleAggregateFunction(sum, UInt64),
        ok_runs SimpleAggregateFunction(sum, UInt64),
        cache_hits SimpleAggregateFunction(sum, UInt64),
        cpu_ms SimpleAggregateFunction(sum, UInt64),
        wall_ms SimpleAggregateFunction(sum, UInt64),
        queue_wait_ms_sum SimpleAggregateFunction(sum, UInt64),
        peak_memory_bytes SimpleAggregateFunction(max, UInt64),
        latency_q AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt32),
        queue_wait_q AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt32)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(minute)
      ORDER BY (minute, hardware_class, dependency_set, language)
      TTL minute + INTERVAL 3 YEAR
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS usage_per_minute_mv TO usage_per_minute AS
        SELECT toStartOfMinute(requested_at) AS minute, hardware_class, dependency_set, language,
          count() AS runs, sum(compiled) AS compiles, sum(executed) AS executions,
          countIf(status = 'ok') AS ok_runs, sum(cache_hit) AS cache_hits,
          sum(cpu_ms) AS cpu_ms, sum(compile_ms + run_ms) AS wall_ms, sum(queue_wait_ms) AS queue_wait_ms_sum,
          max(peak_memory_bytes) AS peak_memory_bytes,
          quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency_q,
          quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(queue_wait_ms) AS queue_wait_q
        FROM runs GROUP BY minute, hardware_class, dependency_set, language`,
      // Hourly rollup of the same series (a view on the per-minute table) for ranges of days.
      `CREATE TABLE IF NOT EXISTS usage_per_hour AS usage_per_minute
      ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute) ORDER BY (minute, hardware_class, dependency_set, language)
      TTL minute + INTERVAL 5 YEAR SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS usage_per_hour_mv TO usage_per_hour AS
        SELECT toStartOfHour(minute) AS minute, hardware_class, dependency_set, language,
          sum(runs) AS runs, sum(compiles) AS compiles, sum(executions) AS executions, sum(ok_runs) AS ok_runs,
          sum(cache_hits) AS cache_hits, sum(cpu_ms) AS cpu_ms, sum(wall_ms) AS wall_ms, sum(queue_wait_ms_sum) AS queue_wait_ms_sum,
          max(peak_memory_bytes) AS peak_memory_bytes,
          quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(latency_q) AS latency_q,
          quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(queue_wait_q) AS queue_wait_q
        FROM usage_per_minute GROUP BY minute, hardware_class, dependency_set, language`,
      `CREATE TABLE IF NOT EXISTS edits_per_minute (
        minute DateTime('UTC'),
        hardware_class LowCardinality(String),
        dependency_set LowCardinality(String),
        language LowCardinality(String),
        edits SimpleAggregateFunction(sum, UInt64),
        opens SimpleAggregateFunction(sum, UInt64),
        inserted_chars SimpleAggregateFunction(sum, UInt64)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(minute)
      ORDER BY (minute, hardware_class, dependency_set, language)
      TTL minute + INTERVAL 3 YEAR
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS edits_per_minute_mv TO edits_per_minute AS
        SELECT toStartOfMinute(at) AS minute, hardware_class, dependency_set, language,
          count() AS edits, countIf(kind = 'open') AS opens, sum(inserted_chars) AS inserted_chars
        FROM edit_activity GROUP BY minute, hardware_class, dependency_set, language`,
      // Distinct sessions and users per minute, from runs and edits, in small fixed-size sketches
      // (uniqCombined(12): ~2.5 KB, ~1.6% error) so a week of them merges in milliseconds.
      `CREATE TABLE IF NOT EXISTS activity_per_minute (
        minute DateTime('UTC'),
        sessions AggregateFunction(uniqCombined(12), String),
        users AggregateFunction(uniqCombined(12), String)
      ) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute) ORDER BY minute
      TTL minute + INTERVAL 3 YEAR SETTINGS ${DEDUP}`,
      ...[['runs', 'requested_at'], ['edit_activity', 'at']].map(
        ([t, at]) => `CREATE MATERIALIZED VIEW IF NOT EXISTS activity_from_${t}_mv TO activity_per_minute AS
          SELECT toStartOfMinute(${at}) AS minute, uniqCombinedState(12)(session_id) AS sessions, uniqCombinedState(12)(user_id) AS users
          FROM ${t} GROUP BY minute`,
      ),
    ],
  },
  {
    version: 4,
    name: 'per-minute run outcomes',
    statements: [
      `CREATE TABLE IF NOT EXISTS status_per_minute (
        minute DateTime('UTC'),
        hardware_class LowCardinality(String),
        dependency_set LowCardinality(String),
        language LowCardinality(String),
        status LowCardinality(String),
        runs SimpleAggregateFunction(sum, UInt64)
      ) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute)
      ORDER BY (minute, hardware_class, dependency_set, language, status)
      TTL minute + INTERVAL 3 YEAR SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS status_per_minute_mv TO status_per_minute AS
        SELECT toStartOfMinute(requested_at) AS minute, hardware_class, dependency_set, language, status, count() AS runs
        FROM runs GROUP BY minute, hardware_class, dependency_set, language, status`,
    ],
  },
  {
    version: 5,
    name: 'hourly distinct sessions and users',
    statements: [
      // A week of minute sketches took ~140 ms to merge; hours plus at most two partial hours of minutes take a few.
      `CREATE TABLE IF NOT EXISTS activity_per_hour AS activity_per_minute
      ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute) ORDER BY minute
      TTL minute + INTERVAL 5 YEAR SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS activity_per_hour_mv TO activity_per_hour AS
        SELECT toStartOfHour(minute) AS minute, uniqCombinedMergeState(12)(sessions) AS sessions, uniqCombinedMergeState(12)(users) AS users
        FROM activity_per_minute GROUP BY minute`,
      `INSERT INTO activity_per_hour
        SELECT toStartOfHour(minute) AS minute, uniqCombinedMergeState(12)(sessions), uniqCombinedMergeState(12)(users)
        FROM activity_per_minute WHERE minute < (SELECT min(minute) FROM activity_per_hour) OR (SELECT count() FROM activity_per_hour) = 0
        GROUP BY minute`,
    ],
  },
  {
    version: 6,
    name: 'demand forecasts, kept for their later accuracy',
    statements: [
      // One row per forecast point: issued at, for which minute, how far ahead. dependency_set '' is the whole class.
      `CREATE TABLE IF NOT EXISTS forecasts (
        issued_at DateTime('UTC'),
        hardware_class LowCardinality(String),
        dependency_set LowCardinality(String),
        metric LowCardinality(String),
        target_minute DateTime('UTC'),
        horizon_minutes UInt16,
        value Float64,
        lower Float64,
        upper Float64,
        method LowCardinality(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(target_minute)
      ORDER BY (hardware_class, dependency_set, metric, target_minute, issued_at)
      TTL target_minute + INTERVAL 90 DAY
      SETTINGS ${DEDUP}`,
    ],
  },
  {
    version: 7,
    name: 'fleet changes and scaling decisions (ops.fleet)',
    statements: [
      `CREATE TABLE IF NOT EXISTS fleet_events (
        event_id String,
        at DateTime64(3, 'UTC'),
        kind LowCardinality(String),
        hardware_class LowCardinality(String),
        member_id String,
        state LowCardinality(String),
        previous_state LowCardinality(String),
        desired Nullable(Int32),
        actual Nullable(Int32),
        min Nullable(Int32),
        max Nullable(Int32),
        applied UInt8,
        reason String,
        actor LowCardinality(String),
        inputs_json String,
        manager_id LowCardinality(String),
        kafka_topic LowCardinality(String),
        kafka_partition UInt16,
        kafka_offset UInt64
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (hardware_class, at, event_id)
      TTL toDateTime(at) + INTERVAL 400 DAY
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS fleet_events_offsets_mv TO sink_offsets AS
        SELECT kafka_topic AS topic, kafka_partition AS partition, max(kafka_offset) AS max_offset
        FROM fleet_events GROUP BY topic, partition`,
    ],
  },
  {
    version: 8,
    name: 'scheduling: slot wait, predicted cost, slowdown per run',
    statements: [
      // Results of writers before the scheduler take the Avro defaults: 0 and ''.
      `ALTER TABLE runs
        ADD COLUMN IF NOT EXISTS scheduler LowCardinality(String) DEFAULT '',
        ADD COLUMN IF NOT EXISTS slot_wait_ms UInt32 DEFAULT 0,
        ADD COLUMN IF NOT EXISTS predicted_compile_ms UInt32 DEFAULT 0,
        ADD COLUMN IF NOT EXISTS predicted_run_ms UInt32 DEFAULT 0,
        ADD COLUMN IF NOT EXISTS prediction_basis LowCardinality(String) DEFAULT '',
        ADD COLUMN IF NOT EXISTS slot_ms UInt32 DEFAULT 0,
        ADD COLUMN IF NOT EXISTS slowdown Float32 DEFAULT 0`,
    ],
  },
  {
    version: 17,
    name: 'replay results: one row per recorded run replayed against a candidate',
    statements: [
      `CREATE TABLE IF NOT EXISTS replay_results (
        replay_id String,
        operator String,
        started_at DateTime64(3, 'UTC'),
        against String,
        run_id String,
        session_id String,
        language LowCardinality(String),
        dependency_set LowCardinality(String),
        program_version UInt32,
        classification LowCardinality(String),
        status_changed UInt8,
        output_changed UInt8,
        output_changed_ws UInt8,
        diagnostics_changed UInt8,
        baseline_status LowCardinality(String),
        candidate_status LowCardinality(String),
        cpu_ratio Nullable(Float64),
        memory_ratio Nullable(Float64),
        note String
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(started_at)
      ORDER BY (replay_id, run_id)
      SETTINGS ${DEDUP}`,
    ],
  },
  {
    version: 18,
    name: 'replay jobs: who rebuilt the warehouse or exported a topic, with what, and where the job stands',
    statements: [
      `CREATE TABLE IF NOT EXISTS replay_jobs (
        job_id String,
        kind LowCardinality(String),
        operator String,
        started_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC'),
        state LowCardinality(String),
        args String,
        outcome String
      ) ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY job_id
      SETTINGS ${DEDUP}`,
    ],
  },
];

export interface MigrationReport { applied: number[]; current: number }

export async function migrate(wh: Warehouse, list: Migration[] = migrations): Promise<MigrationReport> {
  await wh.command(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree ORDER BY version`);
  const done = new Set((await wh.query<{ version: number }>('SELECT version FROM schema_migrations FINAL')).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements) await wh.command(sql);
    await wh.insert('schema_migrations', [{ version: m.version, name: m.name }]);
    applied.push(m.version);
  }
  return { applied, current: Math.max(0, ...done, ...applied) };
}
