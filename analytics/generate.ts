import type { Warehouse } from './warehouse';

/**
 * Synthetic runs generated inside ClickHouse (INSERT … SELECT FROM numbers),
 * for the dashboard test and the benchmark: a daily rhythm, a skewed mix of
 * dependency sets, hardware classes, outcomes and cache hits.
 */
const DEPS = ['python-3.11-std', 'node-20-std', 'cpp-gcc12-std', 'python-3.11-sci', 'java-21-std', 'rust-1.79-std', 'go-1.22-std', 'python-3.11-ml'];
const LANGS = ['python', 'javascript', 'cpp', 'python', 'java', 'rust', 'go', 'python'];
const COMPILED = [0, 0, 1, 0, 1, 1, 1, 0];

export async function generateRuns(wh: Warehouse, o: { rows: number; endMs: number; spanMs: number; firstId?: number; chunk?: number; onProgress?: (done: number) => void }): Promise<void> {
  const chunk = o.chunk ?? 1_000_000;
  const days = Math.max(1, o.spanMs / 86400_000);
  for (let done = 0; done < o.rows; done += chunk) {
    const n = Math.min(chunk, o.rows - done);
    await wh.command(
      // Columns named: later migrations add columns (with defaults) that generated runs leave at their defaults.
      `INSERT INTO runs (run_id, session_id, user_id, source, language, language_version, dependency_set, hardware_class, executor_id, program_version, status, requested_at, started_at, finished_at, queue_wait_ms, latency_ms, compiled, executed, compile_ms, run_ms, cpu_ms, peak_memory_bytes, cache_hit, pooled, source_bytes, file_count, stdout_bytes, stderr_bytes, attempt, kafka_topic, kafka_partition, kafka_offset)
       SELECT
         concat('gen-', toString(id)) AS run_id,
         concat('s-', toString(cityHash64(id, 1) % 200000)) AS session_id,
         concat('u-', toString(cityHash64(id, 1) % 60000)) AS user_id,
         'load' AS source,
         arrayElement({langs:Array(String)}, dep) AS language,
         '' AS language_version,
         arrayElement({deps:Array(String)}, dep) AS dependency_set,
         if(dep = 8, 'gpu', if(cityHash64(id, 3) % 10 < 3, 'arm64', 'x86_64')) AS hardware_class,
         concat('exec-', toString(cityHash64(id, 9) % 40)) AS executor_id,
         toUInt32(1 + cityHash64(id, 10) % 50) AS program_version,
         multiIf(o < 84, 'ok', o < 90, 'runtime_error', o < 94 AND compiled = 1, 'compile_error', o < 97, 'time_limit', o < 98, 'memory_limit', o < 99, 'output_limit', 'internal_error') AS status,
         fromUnixTimestamp64Milli(toInt64(t)) AS requested_at,
         fromUnixTimestamp64Milli(toInt64(t + qw)) AS started_at,
         fromUnixTimestamp64Milli(toInt64(t + qw + cm + rm + 5)) AS finished_at,
         toUInt32(qw) AS queue_wait_ms,
         toUInt32(qw + cm + rm + 5) AS latency_ms,
         compiled, toUInt8(1) AS executed,
         toUInt32(cm) AS compile_ms, toUInt32(rm) AS run_ms,
         toUInt32((cm + rm) * 0.8) AS cpu_ms,
         toUInt64((10 + cityHash64(id, 8) % 500) * 1048576) AS peak_memory_bytes,
         toUInt8(compiled = 1 AND cityHash64(id, 7) % 100 < 60) AS cache_hit,
         toUInt8(1) AS pooled,
         toUInt32(100 + cityHash64(id, 11) % 40000) AS source_bytes,
         toUInt16(1) AS file_count,
         toUInt32(cityHash64(id, 12) % 4096) AS stdout_bytes,
         toUInt32(0) AS stderr_bytes,
         toUInt16(1) AS attempt,
         'generated' AS kafka_topic, toUInt16(0) AS kafka_partition, id AS kafka_offset
       FROM (
         SELECT id, dep, arrayElement({compiledSets:Array(UInt8)}, dep) AS compiled,
           cityHash64(id, 6) % 100 AS o,
           -- A daily rhythm: time warped so runs bunch around each day's peak.
           {start:Float64} + {span:Float64} * (x + 0.8 * sin(2 * pi() * {days:Float64} * x) / (2 * pi() * {days:Float64})) AS t,
           toFloat64(if(cityHash64(id, 4) % 50 = 0, 500 + cityHash64(id, 5) % 4000, cityHash64(id, 4) % 120)) AS qw,
           toFloat64(if(compiled = 1, if(cityHash64(id, 7) % 100 < 60, 5, 300 + cityHash64(id, 13) % 1500), 0)) AS cm,
           toFloat64(20 + pow((cityHash64(id, 14) % 1000) / 1000, 3) * 8000) AS rm
         FROM (
           SELECT number + {first:UInt64} AS id, (number + {done:UInt64}) / {rows:Float64} AS x,
             toUInt8(1 + floor(pow((cityHash64(id, 2) % 10000) / 10000, 2) * 8)) AS dep
           FROM numbers({n:UInt64})
         )
       )`,
      {
        deps: DEPS, langs: LANGS, compiledSets: COMPILED,
        start: o.endMs - o.spanMs, span: o.spanMs, days, first: (o.firstId ?? 0) + done, done, rows: o.rows, n,
      },
    );
    o.onProgress?.(done + n);
  }
}
