import { EditorSession, type RunOutcome } from '../load/editor-session';
import { httpRun } from '../load/http-runs';
import { r1, summarize } from '../load/stats';
import { baselineSampler, cpuYardstick, CPU_YARDSTICK_SAMPLES, meanMs, type BaselineSampler } from './baseline';
import type { ReportSection } from './section';
import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { stopService } from '../services/launcher';
import { startExecutorProcess } from '../services/processes';
import { cpuPerRun, cpuSnapshot, type CpuRoots } from './cpu';
import { sleep } from '../../topics/ground/retry';
import { openLoop } from '../load/open-loop';
import { sinkStateOf, waitForSinkDrain } from './sink-drain';

/**
 * End to end over the real pipeline: browser protocol → gateway → Kafka →
 * executor sandbox → Kafka → gateway → browser. Latency of hello world in
 * Python, JavaScript and C++ (compile-cache miss and hit) against bare cold
 * starts measured in the same run; the hops from the result's timestamps;
 * sustained runs per second with many concurrent sessions.
 */
const PROGRAMS = {
  python: { language: 'python', text: 'print("hello")\n' },
  javascript: { language: 'javascript', text: 'console.log("hello")\n' },
  cpp: { language: 'c++', text: '#include <iostream>\nint main(){ std::cout << "hello\\n"; }\n' },
};

interface Case { label: string; program: keyof typeof PROGRAMS; changeEachRun: boolean; baseline: BaselineSampler }

const hooks = (sink?: { errors: string[] }) => ({
  editAcked: () => undefined,
  rateLimited: () => sink?.errors.push('rate_limited'),
  protocolError: (code: string, message: string) => sink?.errors.push(`${code}: ${message}`),
});

/** Each session runs its program back to back until `end` (a performance.now() time), `each` seeing every outcome; then closes them. */
async function backToBack(sessions: EditorSession[], end: number, each: (o: RunOutcome) => void = () => undefined): Promise<void> {
  try {
    await Promise.all(sessions.map(async (s) => {
      while (performance.now() < end) each(await s.run({}, { resultTimeoutMs: 120000 }));
    }));
  } finally {
    sessions.forEach((s) => s.close());
  }
}

async function session(url: string, key: string, p: keyof typeof PROGRAMS, sink?: { errors: string[] }) {
  const s = await EditorSession.connect(`${url.replace(/^http/, 'ws')}/ws/editor`, key, hooks(sink));
  await s.open(PROGRAMS[p].language, undefined, PROGRAMS[p].text);
  return s;
}

/** Appends a comment with a fresh nonce, so the compile cache cannot answer. */
function touch(s: EditorSession, program: keyof typeof PROGRAMS, nonce: string) {
  const prefix = program === 'python' ? '#' : '//';
  const at = s.text.length;
  const lastLine = s.text.lastIndexOf('\n', at - 2) + 1;
  const old = s.text.slice(lastLine);
  if (old.startsWith(prefix)) s.edit([{ offset: lastLine, deleteCount: old.length, insert: `${prefix} ${nonce}\n` }]);
  else s.edit([{ offset: at, deleteCount: 0, insert: `${prefix} ${nonce}\n` }]);
}

const r2 = (x: number) => Math.round(x * 100) / 100;
function check(o: RunOutcome, what: string) {
  if (o.status !== 'ok') throw new Error(`${what}: run ended ${o.status}${o.message ? `: ${o.message}` : ''}${o.result?.message ? `: ${o.result.message}` : ''}`);
  return o;
}

/** The order of the CPU columns: the path of a run, then the infrastructure, then the load generator. */
/** Unmeasured seconds of sustained Python runs before the sustained rows (the services' JIT warm). */
const SUSTAINED_WARMUP_SECONDS = 5;
/**
 * Unmeasured seconds of sustained Python runs before the first latency row. The bench's services and,
 * on a new machine, its broker start minutes before it: a fresh broker runs interpreted and then compiles
 * its hot paths (the JVM's tiers, KAFKA_JIT) for its first ~10–15 s of load, and a long-lived service no
 * longer pays that. Without it the first row (Python over the WebSocket) measured 29.2 ms against 21 ms
 * for the same run over Piston a minute later (8 Dec 2026, a broker started 3 minutes before).
 */
const STACK_WARMUP_SECONDS = 10;
const CPU_COLUMNS = ['gateway', 'broker', 'registry', 'executor', 'spawner', 'sandboxes', 'analytics sink', 'bench client'];

/** How long the idle row waits for the analytics sink to load what the latency cases produced. */
const SINK_DRAIN_DEADLINE_MS = 30_000;

/** Issue #15's goal: sustained trivial Python runs at this rate with p99 ≤ 100 ms, measured open loop. */
const GOAL_RUNS_PER_SECOND = 150;

export async function benchPipeline(opts: { url: string; iterations: number; seconds: number; sessions: number; openRates?: number[]; cpuRoots?: () => Promise<CpuRoots>; analyticsUrl?: string; onProgress?: (m: string) => void }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const n = opts.iterations;
  const warmUp = async (seconds: number) => {
    say(`warm-up: python hello, ${opts.sessions} sessions back to back for ${seconds} s, not measured`);
    const sink = { errors: [] as string[] };
    const warm = await Promise.all(Array.from({ length: opts.sessions }, (_, i) => session(opts.url, `bench-warm-${i}-${Date.now()}`, 'python', sink)));
    await backToBack(warm, performance.now() + seconds * 1000);
  };
  await warmUp(STACK_WARMUP_SECONDS);
  await sleep(1000); // the warm pools refill before the first latency row
  // Each case's baseline is sampled between its own runs, one bare start before or after each run in turn.
  say('baselines: bare cold starts of python3, node and g++ -O0, interleaved with the runs they are the yardstick of');
  const base = { python: await baselineSampler('python'), node: await baselineSampler('node'), cpp: await baselineSampler('cpp'), cppHit: await baselineSampler('cpp'), pythonHttp: await baselineSampler('python') };
  const cases: Case[] = [
    { label: 'python hello', program: 'python', changeEachRun: false, baseline: base.python },
    { label: 'javascript hello', program: 'javascript', changeEachRun: false, baseline: base.node },
    { label: 'c++ hello, compile each run', program: 'cpp', changeEachRun: true, baseline: base.cpp },
    { label: 'c++ hello, compile cache hit', program: 'cpp', changeEachRun: false, baseline: base.cppHit },
  ];
  const samples: Record<string, number[]> = {};
  const latencyRows: (string | number)[][] = [];
  const hopRows: (string | number)[][] = [];
  const hopChart = { labels: [] as string[], gateway: [] as number[], queue: [] as number[], exec: [] as number[], back: [] as number[] };

  for (const c of cases) {
    say(`${c.label}: ${n} sequential runs over the editor WebSocket`);
    const s = await session(opts.url, `bench-latency-${c.program}-${Date.now()}`, c.program);
    try {
      check(await s.run({}, { resultTimeoutMs: 60000 }), `${c.label} warm-up`);
      const outs: RunOutcome[] = [];
      for (let i = 0; i < n; i++) {
        if (c.changeEachRun) touch(s, c.program, `${Date.now()}-${i}`);
        if (i % 2 === 0) await c.baseline.sample();
        outs.push(check(await s.run({}, { resultTimeoutMs: 60000 }), c.label));
        if (i % 2 === 1) await c.baseline.sample();
        await sleep(50); // independent people, not a tight loop: lets warm pools refill
      }
      const lat = summarize(outs.map((o) => o.latencyMs));
      const b = summarize(c.baseline.samples);
      samples[`${c.label} (WebSocket end to end)`] = outs.map((o) => o.latencyMs);
      samples[`${c.label}: ${c.baseline.label}, interleaved`] = c.baseline.samples;
      latencyRows.push([c.label, n, r1(lat.p50), r1(lat.p99), r1(lat.max), c.baseline.label, r1(b.p50), r1(b.p99), r2(lat.p50 / b.p50), r2(lat.p99 / b.p99)]);
      const hop = (f: (o: RunOutcome) => number) => summarize(outs.map(f));
      const gw = hop((o) => o.result!.requestedAtMs - o.sentAtMs);
      const q = hop((o) => o.result!.startedAtMs - o.result!.requestedAtMs);
      const ex = hop((o) => o.result!.finishedAtMs - o.result!.startedAtMs);
      const back = hop((o) => o.receivedAtMs - o.result!.finishedAtMs);
      const inSandbox = hop((o) => (o.result!.compile?.wallMs ?? 0) + (o.result!.run?.wallMs ?? 0));
      hopRows.push([c.label, r1(gw.p50), r1(q.p50), r1(q.p99), r1(ex.p50), r1(ex.p99), r1(inSandbox.p50), r1(back.p50), r1(back.p99), `${Math.round((100 * outs.filter((o) => o.result!.cacheHit || o.result!.pooled).length) / n)}%`]);
      hopChart.labels.push(c.label);
      hopChart.gateway.push(r1(gw.p50));
      hopChart.queue.push(r1(q.p50));
      hopChart.exec.push(r1(ex.p50));
      hopChart.back.push(r1(back.p50));
    } finally {
      s.close();
    }
  }

  // The same Python hello world sent whole over the Piston API and the REST API (wait: true), request → answer.
  // The two are interleaved, in alternating order, so that both see the same minutes of a shared machine.
  const apis = ['piston', 'rest'] as const;
  const apiLabel = (api: (typeof apis)[number]) => `python hello (${api === 'piston' ? 'Piston POST /api/v2/execute' : 'REST POST /api/v1/runs'})`;
  say(`${apis.map(apiLabel).join(' and ')}: ${n} sequential runs each, interleaved`);
  const apiKey = Object.fromEntries(apis.map((api) => [api, `bench-latency-${api}-${Date.now()}`]));
  const httpOk = async (api: (typeof apis)[number], what: string) => {
    const o = await httpRun(opts.url, api, apiKey[api]!, { language: 'python', text: PROGRAMS.python.text }, { resultTimeoutMs: 60000, rateLimited: () => undefined });
    if (o.status !== 'ok') throw new Error(`${what}: run ended ${o.status}${o.message ? `: ${o.message}` : ''}`);
    return o;
  };
  for (const api of apis) await httpOk(api, `${apiLabel(api)} warm-up`);
  const httpOuts: Record<string, RunOutcome[]> = Object.fromEntries(apis.map((api) => [api, []]));
  for (let i = 0; i < n; i++) {
    for (const api of i % 2 ? [...apis].reverse() : apis) {
      if (i % 2 === 0) await base.pythonHttp.sample();
      httpOuts[api]!.push(await httpOk(api, apiLabel(api)));
      if (i % 2 === 1) await base.pythonHttp.sample();
      await sleep(50);
    }
  }
  const b = summarize(base.pythonHttp.samples);
  samples[`python hello over HTTP: ${base.pythonHttp.label}, interleaved`] = base.pythonHttp.samples;
  for (const b of Object.values(base)) b.close();
  for (const api of apis) {
    const label = apiLabel(api);
    samples[label] = httpOuts[api]!.map((o) => o.latencyMs);
    const lat = summarize(samples[label]!);
    latencyRows.push([label, n, r1(lat.p50), r1(lat.p99), r1(lat.max), base.pythonHttp.label, r1(b.p50), r1(b.p99), r2(lat.p50 / b.p50), r2(lat.p99 / b.p99)]);
  }

  const throughputRows: (string | number)[][] = [];
  const throughputChart = { labels: [] as string[], data: [] as number[] };
  const timeline: { label: string; perSecond: number[] }[] = [];
  const cpuRows: (string | number)[][] = [];
  const cpuChart: Record<string, number[]> = Object.fromEntries(CPU_COLUMNS.map((c) => [c, []]));
  // The CPU rows' yardstick: a bare python3 start's CPU just before and after each sustained row (baseline.ts).
  const yardstick = opts.cpuRoots ? await cpuYardstick() : null;
  // The services were started minutes ago and V8 is still optimising their hot paths: a fresh executor spent ~a third
  // of its CPU in the first sustained row on TurboFan (perf, Session 15), which a long-lived one no longer pays. So the
  // sustained rows follow a few unmeasured seconds of the same Python load.
  await warmUp(SUSTAINED_WARMUP_SECONDS);
  if (opts.cpuRoots) {
    // What the stack burns with nothing to do (heartbeats, polls, timers): per-run figures at low rates carry it.
    // Not before the sink has loaded the latency cases' rows: the row would measure their inserts, not the idle stack.
    let drained = '';
    if (opts.analyticsUrl) {
      say('idle CPU: waiting for the analytics sink to load the runs so far');
      const waited = await waitForSinkDrain(sinkStateOf(opts.analyticsUrl), { since: Date.now(), deadlineMs: SINK_DRAIN_DEADLINE_MS });
      drained = waited === null ? ` (sink still loading after ${SINK_DRAIN_DEADLINE_MS / 1000} s)` : ` (after the sink drained, ${r1(waited / 1000)} s)`;
    }
    say(`idle CPU: 3 s with no runs${drained}`);
    const roots = await opts.cpuRoots();
    const a = cpuSnapshot(roots);
    await sleep(3000);
    const c = cpuPerRun(a, cpuSnapshot(roots), 1);
    const perS = (ms: number) => r2(ms / c.seconds);
    cpuRows.push([`idle: CPU ms per second${drained}`, 0, ...CPU_COLUMNS.map((k) => (k in c.perRun ? perS(c.perRun[k]!) : '—')), perS(c.total), perS(c.other), r2((c.total + c.other) / c.seconds / 1000), '—', '—']);
  }
  for (const [label, program] of [['python hello', 'python'], ['javascript hello', 'javascript'], ['c++ hello (cache hit)', 'cpp']] as const) {
    say(`${label}: ${opts.sessions} concurrent sessions running back to back for ${opts.seconds} s`);
    const sink = { errors: [] as string[] };
    const sessions = await Promise.all(Array.from({ length: opts.sessions }, (_, i) => session(opts.url, `bench-tp-${program}-${i}-${Date.now()}`, program, sink)));
    const lat: number[] = [];
    const statuses = new Map<string, number>();
    const roots = opts.cpuRoots ? await opts.cpuRoots() : null;
    const yardstickBefore = (await yardstick?.take()) ?? [];
    const cpu0 = roots ? cpuSnapshot(roots) : null;
    const t0 = performance.now();
    const end = t0 + opts.seconds * 1000;
    const perSecond: number[] = [];
    await backToBack(sessions, end, (o) => {
      statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
      if (o.status !== 'ok') return;
      lat.push(o.latencyMs);
      const sec = Math.floor((performance.now() - t0) / 1000);
      perSecond[sec] = (perSecond[sec] ?? 0) + 1;
    });
    const cpu1 = roots ? cpuSnapshot(roots) : null;
    const secs = (performance.now() - t0) / 1000;
    const l = summarize(lat);
    const rate = r1(lat.length / secs);
    if (cpu0 && cpu1) {
      const c = cpuPerRun(cpu0, cpu1, lat.length);
      const bare = meanMs([...yardstickBefore, ...((await yardstick?.take()) ?? [])]);
      cpuRows.push([label, rate, ...CPU_COLUMNS.map((k) => (k in c.perRun ? r2(c.perRun[k]!) : '—')), r2(c.total), r2(c.other), r2((c.total + c.other) * rate / 1000), r2(bare), r2(c.total / bare)]);
      for (const k of CPU_COLUMNS) cpuChart[k]!.push(r2(c.perRun[k] ?? 0));
    }
    samples[`${label} × ${opts.sessions} sessions`] = lat;
    timeline.push({ label, perSecond: Array.from({ length: Math.ceil(secs) }, (_, i) => perSecond[i] ?? 0) });
    throughputRows.push([label, opts.sessions, lat.length, r1(secs), rate, r1(l.p50), r1(l.p99), [...statuses].map(([k, v]) => `${k} ${v}`).join(', ') + (sink.errors.length ? `; errors: ${sink.errors.slice(0, 3).join('; ')}` : '')]);
    throughputChart.labels.push(label);
    throughputChart.data.push(rate);
    say(`${label}: ${rate} runs/s, p50 ${r1(l.p50)} ms, p99 ${r1(l.p99)} ms`);
  }
  yardstick?.close();

  // Latency at a rate: Python runs arriving open loop (Poisson) at shares of the closed loop's rate above.
  const openRows: (string | number)[][] = [];
  const tailRows: (string | number)[][] = [];
  const closedPython = Number(throughputRows[0]?.[4] ?? 0);
  const openCases = openCasesFor(closedPython, opts.openRates);
  if (!opts.openRates?.length && closedPython > 0 && closedPython < GOAL_RUNS_PER_SECOND / 2) say(`python hello: no open loop at the goal's ${GOAL_RUNS_PER_SECOND} runs/s: the closed loop reached ${closedPython}, under half of it`);
  for (const { label: share, rate } of openCases) {
    say(`python hello: open loop at ${rate} runs/s (${share}) for ${opts.seconds} s`);
    const sink = { errors: [] as string[] };
    const sessions = await Promise.all(Array.from({ length: opts.sessions * 2 }, (_, i) => session(opts.url, `bench-open-${rate}-${i}-${Date.now()}`, 'python', sink)));
    try {
      // Each session's first run is a warm-up (the executor learns the session), as in the latency cases.
      await Promise.all(sessions.map((s) => s.run({}, { resultTimeoutMs: 120000 })));
      await sleep(1000);
      const outs: RunOutcome[] = [];
      const r = await openLoop({ ratePerSecond: rate, seconds: opts.seconds, runners: sessions, run: async (s) => {
        const o = await s.run({}, { resultTimeoutMs: 120000 });
        if (o.status === 'ok' && o.result) outs.push(o);
        return { ok: o.status === 'ok', latencyMs: o.latencyMs };
      } });
      tailRows.push(...hopSplit(`${rate} runs/s offered`, outs));
      const l = summarize(r.latencies);
      openRows.push([share, rate, r.arrivals, r1(r.done / r.seconds), r1(l.p50), r1(l.p99), r1(l.max), `${r1((100 * r.latencies.filter((x) => x > 100).length) / Math.max(1, r.latencies.length))}%`, r.failed + (sink.errors.length ? `; ${sink.errors.slice(0, 3).join('; ')}` : '')]);
      samples[`python hello, open loop at ${rate} runs/s`] = r.latencies;
      say(`python hello open loop: ${r.done} runs, p50 ${r1(l.p50)} ms, p99 ${r1(l.p99)} ms`);
    } finally {
      sessions.forEach((s) => s.close());
    }
  }

  const restoreRows = await benchRestore(say);

  const longest = Math.max(...timeline.map((t) => t.perSecond.length));
  return {
    name: 'pipeline',
    tables: [
      { title: 'Hello world end to end over the editor WebSocket (run message → result message, ms), and Python over the Piston and REST APIs (request → answer), vs bare cold start', columns: ['case', 'n', 'median', 'p99', 'max', 'baseline', 'baseline median', 'baseline p99', 'ratio median', 'ratio p99'], rows: latencyRows },
      { title: 'Per-hop breakdown (ms): gateway = client send → request stamped; queue = → executor starts (Kafka + executor queue); execution = executor start → finish; return = finish → client receives', columns: ['case', 'gateway p50', 'queue p50', 'queue p99', 'execution p50', 'execution p99', 'in sandbox p50', 'return p50', 'return p99', 'pooled or cached'], rows: hopRows },
      { title: `Sustained throughput, concurrent sessions each running back to back (after ${SUSTAINED_WARMUP_SECONDS} s of unmeasured Python runs: the services' JIT warm, as a long-lived executor's)`, columns: ['program', 'sessions', 'runs', 'seconds', 'runs/s', 'latency median', 'latency p99', 'statuses'], rows: throughputRows },
      ...(openRows.length
        ? [{ title: 'Python hello at a fixed offered rate (open loop, Poisson arrivals, latency from arrival: a closed loop\'s latency is only sessions ÷ throughput)', columns: ['share of closed-loop rate', 'offered runs/s', 'arrivals', 'done runs/s', 'latency median', 'latency p99', 'max', 'over 100 ms', 'failed'], rows: openRows }]
        : []),
      ...(tailRows.length
        ? [{ title: 'Where the open loop\'s time goes: each hop\'s median over all runs and over the slowest 1% (by run latency, send → result; hops as in the per-hop table)', columns: ['offered', 'runs', 'n', 'latency', 'gateway', 'queue (Kafka + executor)', 'execution', 'in sandbox', 'return'], rows: tailRows }]
        : []),
      ...(cpuRows.length
        ? [{ title: `CPU ms per run of each process during the sustained runs above (/proc utime+stime; sandboxes: the run cgroups' cpuacct; other = the rest of the machine, other people's work included; cores = all CPU ms per second / 1000; bare python3 CPU: the mean user + system time of ${CPU_YARDSTICK_SAMPLES} bare python3 -c 'print(1)' just before and ${CPU_YARDSTICK_SAMPLES} just after the row, the yardstick of the host's speed)`, columns: ['program', 'runs/s', ...CPU_COLUMNS, 'all ours', 'other', 'cores busy', 'bare python3 CPU ms', 'all ours ÷ bare python3 CPU'], rows: cpuRows }]
        : []),
      { title: 'Buffer restore when partitions move: a second executor joins the group and rebuilds the sessions of the partitions it gains from programs.snapshots', columns: ['executor', 'partitions gained', 'snapshot records read', 'restore ms'], rows: restoreRows },
    ],
    samples,
    charts: [
      { title: 'Where a hello world spends its time (median ms per hop)', kind: 'bar', labels: hopChart.labels, datasets: [{ label: 'client → gateway', data: hopChart.gateway }, { label: 'queue (Kafka + executor)', data: hopChart.queue }, { label: 'execution', data: hopChart.exec }, { label: 'return path', data: hopChart.back }], yTitle: 'ms', stacked: true },
      { title: `Sustained runs per second (${opts.sessions} concurrent sessions)`, kind: 'bar', labels: throughputChart.labels, datasets: [{ label: 'runs/s', data: throughputChart.data }], yTitle: 'runs/s' },
      ...(cpuRows.length ? [{ title: 'CPU ms per run, by process (sustained runs)', kind: 'bar' as const, labels: throughputChart.labels, datasets: CPU_COLUMNS.map((k) => ({ label: k, data: cpuChart[k]! })), yTitle: 'CPU ms per run', stacked: true }] : []),
      { title: 'Completed runs per second over each throughput measurement', kind: 'line', labels: Array.from({ length: longest }, (_, i) => i + 1), datasets: timeline.map((t) => ({ label: t.label, data: t.perSecond })), xTitle: 'second', yTitle: 'runs completed' },
    ],
  };
}

/**
 * The open loop's offered rates. By default, shares of the closed loop's rate (latency with headroom) and issue
 * #15's goal rate, offered whatever the closed loop reached (a rate above capacity shows as queueing in its
 * latency) unless the closed loop is under half of it. With `fixed` rates (`--open-rates`), exactly those, so
 * that A/B runs on a shared machine offer the same load whatever their closed loops reached.
 */
export function openCasesFor(closedPython: number, fixed?: number[]): { label: string; rate: number }[] {
  if (fixed?.length) return fixed.map((rate) => ({ label: closedPython > 0 ? `fixed (${Math.round((100 * rate) / closedPython)}%)` : 'fixed', rate }));
  const cases = closedPython > 0 ? [0.5, 0.8].map((share) => ({ label: `${share * 100}%`, rate: r1(closedPython * share) })) : [];
  if (closedPython >= GOAL_RUNS_PER_SECOND / 2) cases.push({ label: `goal ${GOAL_RUNS_PER_SECOND} runs/s (${Math.round((100 * GOAL_RUNS_PER_SECOND) / closedPython)}%)`, rate: GOAL_RUNS_PER_SECOND });
  return cases;
}

/** `--open-rates`: offered runs/s, comma-separated, each 1-10,000, at most 8 of them. */
export function parseOpenRates(v: string): number[] {
  const rates = v.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (!rates.length || rates.length > 8 || rates.some((r) => !Number.isFinite(r) || r < 1 || r > 10_000)) {
    throw Object.assign(new Error(`--open-rates must be 1 to 8 comma-separated rates from 1 to 10000 runs/s, not "${v}"`), { code: 'invalid_argument' });
  }
  return rates;
}

/** Each hop's median over all the runs, and over the slowest 1% of them (at least one run). */
export function hopSplit(label: string, outs: RunOutcome[]): (string | number)[][] {
  if (!outs.length) return [];
  const byLatency = [...outs].sort((a, b) => a.latencyMs - b.latencyMs);
  const slowest = byLatency.slice(Math.min(byLatency.length - 1, Math.floor(byLatency.length * 0.99)));
  const row = (which: string, os: RunOutcome[]) => {
    const med = (f: (o: RunOutcome) => number) => r1(summarize(os.map(f)).p50);
    return [label, which, os.length, med((o) => o.latencyMs), med((o) => o.result!.requestedAtMs - o.sentAtMs), med((o) => o.result!.startedAtMs - o.result!.requestedAtMs),
      med((o) => o.result!.finishedAtMs - o.result!.startedAtMs), med((o) => (o.result!.compile?.wallMs ?? 0) + (o.result!.run?.wallMs ?? 0)), med((o) => o.receivedAtMs - o.result!.finishedAtMs)];
  };
  return [row('all', outs), row('slowest 1%', slowest)];
}

/**
 * A second executor joins the group: the partitions it gains bring their
 * sessions along, rebuilt from the compacted snapshot changelog. It reports
 * each restore over IPC; the time is what a rebalance costs before runs flow.
 */
async function benchRestore(say: (m: string) => void): Promise<(string | number)[][]> {
  say('buffer restore: a second executor joins the group');
  const restores: { partitions: number[]; records: number; ms: number }[] = [];
  const extra = await startExecutorProcess({
    logDir: path.join(paths().state, 'bench-services'),
    name: 'executor-x86_64-restore',
    env: { LOG_LEVEL: 'warn' },
    onMessage: (m) => {
      const r = (m as { restore?: { partitions: number[]; records: number; ms: number } }).restore;
      if (r && r.partitions.length) restores.push(r);
    },
  });
  try {
    const until = Date.now() + 60000;
    while (!restores.length && Date.now() < until) await sleep(100);
  } finally {
    await stopService(extra);
  }
  return restores.map((r) => ['joining executor', r.partitions.length, r.records, r.ms]);
}
