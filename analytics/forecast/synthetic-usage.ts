import type { Warehouse } from '../warehouse';

/**
 * Loads synthetic usage into `runs` (so the per-minute views fill exactly as
 * from the sink): for each minute in [from, to) of one hardware class,
 * `runsAt(minute)` runs of `cpuMsPerRun` each. Tests and the report's demo
 * use it; the SQL generates the rows so days of history load in one insert.
 */
export async function loadSyntheticUsage(
  wh: Warehouse,
  q: { hardwareClass: string; dependencySet?: string; language?: string; fromMinute: number; toMinute: number; runsAt: (minute: number) => number; cpuMsPerRun?: number; queueWaitMs?: number; prefix?: string },
): Promise<number> {
  const counts: number[] = [];
  for (let m = q.fromMinute; m < q.toMinute; m++) counts.push(Math.max(0, Math.round(q.runsAt(m))));
  const total = counts.reduce((a, b) => a + b, 0);
  await wh.command(
    `INSERT INTO runs (run_id, session_id, user_id, source, language, dependency_set, hardware_class, status, requested_at, started_at, finished_at, queue_wait_ms, cpu_ms, executed, kafka_topic, kafka_partition, kafka_offset)
     SELECT concat({prefix:String}, '-', toString(i), '-', toString(j)) AS run_id, concat('s-', toString(j % 50)), concat('u-', toString(j % 40)), 'synthetic', {lang:String},
            {dep:String}, {hw:String}, 'ok', toDateTime64(({from:Int64} + i) * 60 + j * 60 / greatest(c, 1), 3, 'UTC') AS at, at, at, {wait:UInt32}, {cpu:UInt32}, 1, 'synthetic', 0, 0
     FROM (SELECT number AS i, {counts:Array(UInt32)}[number + 1] AS c FROM numbers({n:UInt32})) ARRAY JOIN range(c) AS j`,
    { prefix: q.prefix ?? 'synthetic', lang: q.language ?? 'python', dep: q.dependencySet ?? 'python-3.11-std', hw: q.hardwareClass, from: q.fromMinute, wait: q.queueWaitMs ?? 5, cpu: q.cpuMsPerRun ?? 1000, counts, n: counts.length },
  );
  return total;
}
