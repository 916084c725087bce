import { burstPlan, floodPlan, HELLO, holds, jainIndex, maxMinShares, overlap, type PlannedRun, type Program } from '../load/burst';
import { r1, summarize } from '../load/stats';
import { sleep } from '../../topics/ground/retry';
import type { ReportSection } from './section';
import { startBenchServices } from './services';

/**
 * `bench scheduling`: the burst scenario (waves of people pressing Run at
 * once, hello worlds among multi-second programs) and the flood scenario (one
 * client sending ten times the runs of the others), each run twice in the
 * same bench run on a fresh executor with two slots: FIFO, then Conveyor's
 * scheduler. Runs go through the gateway's REST API like any client's.
 */
const SLOTS = 2;
const LONGS = [1200, 1500, 2000, 2500, 3000];
const FLOOD_PROGRAM = holds(500);

interface Done { plan: PlannedRun; latencyMs: number; startedAtMs: number; finishedAtMs: number; requestedAtMs: number; status: string; httpStatus: number }

async function runPlan(url: string, plan: PlannedRun[], programs: Map<string, Program>): Promise<Done[]> {
  const t0 = performance.now();
  return Promise.all(
    plan.map(async (p) => {
      const wait = p.atMs - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      const sent = performance.now();
      const res = await fetch(`${url}/api/v1/runs`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': p.client },
        body: JSON.stringify({ language: 'python', code: programs.get(p.program)!.code }),
      });
      const body = (await res.json()) as { status?: string; startedAtMs?: number; finishedAtMs?: number; requestedAtMs?: number };
      return { plan: p, latencyMs: performance.now() - sent, startedAtMs: body.startedAtMs ?? 0, finishedAtMs: body.finishedAtMs ?? 0, requestedAtMs: body.requestedAtMs ?? 0, status: body.status ?? `http ${res.status}`, httpStatus: res.status };
    }),
  );
}

function burstMeasures(done: Done[]) {
  const ok = done.filter((d) => d.status === 'ok');
  const short = summarize(ok.filter((d) => d.plan.kind === 'short').map((d) => d.latencyMs));
  const slowdowns = summarize(ok.filter((d) => d.plan.kind === 'long').map((d) => (d.finishedAtMs - d.requestedAtMs) / Math.max(1, d.finishedAtMs - d.startedAtMs)));
  const first = Math.min(...ok.map((d) => d.requestedAtMs));
  const last = Math.max(...ok.map((d) => d.finishedAtMs));
  return { short, slowdowns, throughput: ok.length / ((last - first) / 1000), failed: done.length - ok.length };
}

/**
 * Jain's index over the clients' slot time while every client still sends, each
 * divided by its max-min fair share of the two slots (a client asking less
 * than an equal share is owed what it asks; the flooder is owed the rest).
 */
function fairness(done: Done[], plan: PlannedRun[], from: number, to: number) {
  const clients = [...new Set(plan.map((p) => p.client))];
  const windowS = (to - from) / 1000;
  const demand = clients.map((c) => plan.filter((p) => p.client === c).reduce((s, p) => s + p.nominalMs, 0) / 1000 / (windowS || 1));
  const fair = maxMinShares(demand, SLOTS);
  const got = clients.map((c) => done.filter((d) => d.plan.client === c && d.status === 'ok').reduce((s, d) => s + overlap(d.startedAtMs, d.finishedAtMs, from, to), 0) / 1000 / windowS);
  return { index: jainIndex(got.map((g, i) => g / fair[i]!)), flooderCores: got[0]!, othersCores: got.slice(1).reduce((a, b) => a + b, 0) };
}

export async function benchScheduling(opts: { onProgress?: (m: string) => void; waves?: number; floodSeconds?: number }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const programs = new Map<string, Program>([HELLO, FLOOD_PROGRAM, ...LONGS.map(holds)].map((p) => [p.name, p]));
  const burst = burstPlan({ waves: opts.waves ?? 6, everyMs: 10000, hellos: 12, longs: LONGS, program: holds });
  const floodMs = (opts.floodSeconds ?? 24) * 1000;
  const flood = floodPlan({ clients: 5, factor: 10, everyMs: 2000, durationMs: floodMs, program: FLOOD_PROGRAM });
  const rows: (string | number)[][] = [];
  const results: Record<string, ReturnType<typeof burstMeasures> & { fair: ReturnType<typeof fairness> }> = {};
  const samples: Record<string, number[]> = {};
  for (const scheduler of ['fifo', 'conveyor'] as const) {
    say(`${scheduler}: starting an executor with ${SLOTS} slots and a gateway`);
    const services = await startBenchServices({
      env: {
        EXECUTOR_SCHEDULER: scheduler, EXECUTOR_CONCURRENCY: String(SLOTS), EXECUTOR_QUEUE: '400', ADMISSION_MAX_WAIT_MS: '3600000', SYNC_RUN_TIMEOUT_MS: '600000',
        RATE_RUNS_PER_MINUTE: '1000000', RATE_RUNS_BURST: '100000',
      },
      onProgress: say,
    });
    try {
      // One run of each program first: the executor learns what each costs (FIFO ignores it).
      for (const p of programs.values()) await runPlan(services.url, [{ atMs: 0, client: 'warm-up', program: p.name, nominalMs: p.nominalMs, kind: 'short' }], programs);
      say(`${scheduler}: burst of ${burst.length} runs in ${opts.waves ?? 6} waves`);
      const b = await runPlan(services.url, burst, programs);
      const m = burstMeasures(b);
      say(`${scheduler}: flood, one client at 10× the others for ${floodMs / 1000} s`);
      const t0 = Date.now();
      const f = await runPlan(services.url, flood, programs);
      const fair = fairness(f, flood, t0 + 2000, t0 + floodMs);
      results[scheduler] = { ...m, fair };
      samples[`${scheduler} short-run latency`] = b.filter((d) => d.plan.kind === 'short').map((d) => r1(d.latencyMs));
      say(`${scheduler}: short p95 ${Math.round(m.short.p95)} ms, long slowdown p99 ${m.slowdowns.p99.toFixed(2)}, ${m.throughput.toFixed(2)} runs/s, Jain ${fair.index.toFixed(3)}`);
    } finally {
      await services.stop();
    }
  }
  const fifo = results.fifo!;
  for (const [name, r] of Object.entries(results)) {
    rows.push([
      name, r1(r.short.p50), r1(r.short.p95), r.slowdowns.p50.toFixed(2), r.slowdowns.p99.toFixed(2), r.throughput.toFixed(2), (r.throughput / fifo.throughput).toFixed(3),
      r.fair.index.toFixed(3), `${r.fair.flooderCores.toFixed(2)} / ${r.fair.othersCores.toFixed(2)}`, r.failed,
    ]);
  }
  return {
    name: 'scheduling',
    tables: [{
      title: `Burst (${burst.length} runs: per wave 12 hello worlds among ${LONGS.length} programs holding their slot 1.2–3 s, waves 10 s apart) and flood (5 clients, one at 10×, 0.5 s programs) on ${SLOTS} slots`,
      columns: ['scheduler', 'short p50 ms', 'short p95 ms', 'slowdown p50 (>1 s)', 'slowdown p99 (>1 s)', 'throughput runs/s', 'throughput ÷ FIFO', "Jain's index (flood)", 'cores flooder / others', 'failed'],
      rows,
    }],
    samples,
  };
}
