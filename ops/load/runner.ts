import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus, programsFor, type Program } from './corpus';
import { activeFraction, type CurveKind } from './curve';
import type { EditorSession } from './editor-session';
import { LoadMetrics, byLanguage, type LanguageRow } from './metrics';
import { parseMix, parseProtocols, pickWeighted, MixError, type Protocol } from './mix';
import { Counter, quantile, r1, seededRandom, summarize, type Summary } from './stats';
import { sitting } from './user';

/**
 * The load generator: keeps the number of people in the editor on the
 * chosen curve, each person a sitting (user.ts) with its own API key, so the
 * gateway's per-client rate limits apply per person as they would in life.
 * Stops by itself: at the end no new runs start, in-flight runs get a grace
 * period, then every connection is closed.
 */
export interface LoadOptions {
  url: string;
  users: number;
  durationS: number;
  rampS: number;
  curve: CurveKind;
  mix: string;
  protocols: string;
  speed: number;
  thinkS: [number, number];
  runs: [number, number];
  seed: number;
  graceS: number;
  resultTimeoutS: number;
  onProgress?: (line: string) => void;
  progressEveryMs?: number;
}

export interface LoadReport {
  options: Omit<LoadOptions, 'onProgress'>;
  startedAt: string;
  elapsedS: number;
  totals: {
    sittings: number; sittingsFinished: number; runs: number; runsPerS: number; answered: number; edits: number; editOps: number; editsPerS: number;
    peakUsers: number; rateLimited: Record<string, number>; protocolErrors: Record<string, number>; userErrors: Record<string, number>; unexpectedStatuses: number;
  };
  statuses: Record<string, number>;
  latency: Summary;
  perLanguage: LanguageRow[];
  hops: { accept: Summary; queueWait: Summary; exec: Summary; returnPath: Summary; firstOutput: Summary };
  editAck: Summary;
  timeline: { t: number; users: number; target: number; runsPerS: number; editsPerS: number; p50: number; p99: number }[];
  samples: { protocolErrors: { code: string; message: string }[]; unexpected: { program: string; expected: string; got: string; message?: string }[] };
  runs: LoadMetrics['runs'];
}

export function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(s.trim());
  if (!m) throw new MixError(`${what} must be N or MIN-MAX, not "${s}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new MixError(`${what}: ${hi} is below ${lo}`);
  return [lo, hi];
}

interface ActiveUser { id: number; leaving: boolean; done: Promise<void>; session?: EditorSession }

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const mix = parseMix(opts.mix);
  const protocols = parseProtocols(opts.protocols);
  const corpus = loadCorpus();
  const pools = mix.map((m) => ({ ...m, programs: programsFor(corpus, m.language, m.dependencySet) }));
  for (const p of pools) if (!p.programs.length) throw new MixError(`mix: the corpus has no programs for "${p.key}"`);
  const rand = seededRandom(opts.seed);
  const metrics = new LoadMetrics();
  const say = opts.onProgress ?? (() => undefined);
  const tag = `${opts.seed.toString(36)}${Date.now().toString(36)}`;
  const active = new Set<ActiveUser>();
  const timeline: LoadReport['timeline'] = [];
  let nextId = 0;
  let stopping = false;
  let hardStop = false;
  let peakUsers = 0;
  const wakers = new Set<() => void>();
  const t0 = Date.now();
  const elapsedS = () => (Date.now() - t0) / 1000;

  const sleep = (ms: number) =>
    hardStop
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, ms);
          wakers.add(done);
        });

  const startUser = () => {
    const pool = pickWeighted(pools, rand);
    const program: Program = pickWeighted(pool.programs, rand);
    const protocol: Protocol = pickWeighted(protocols, rand).key;
    const u: ActiveUser = { id: nextId++, leaving: false, done: Promise.resolve() };
    const userRand = seededRandom(Math.floor(rand() * 2 ** 31));
    u.done = sitting({
      baseUrl: opts.url, apiKey: `load-${tag}-${u.id}`, protocol, program, rand: userRand, speed: opts.speed, thinkS: opts.thinkS, runs: opts.runs,
      resultTimeoutMs: opts.resultTimeoutS * 1000, metrics, leaving: () => stopping || u.leaving, sleep: (ms) => (u.leaving || stopping ? Promise.resolve() : sleep(ms)),
      onSession: (s) => (u.session = s),
    }).finally(() => active.delete(u));
    active.add(u);
  };

  let lastProgress = 0;
  const progress = (target: number) => {
    const answered = metrics.answered();
    const recent = answered.slice(-500).map((r) => r.latencyMs).sort((a, b) => a - b);
    const line = {
      t: r1(elapsedS()), users: active.size, target, runsPerS: r1(metrics.runsPerSecondNow()), editsPerS: r1(metrics.editsPerSecondNow()),
      p50: Math.round(quantile(recent, 0.5) || 0), p99: Math.round(quantile(recent, 0.99) || 0),
    };
    timeline.push(line);
    const errors = metrics.protocolErrors.total() + metrics.userErrors.total();
    const timeouts = metrics.runs.filter((r) => r.status === 'client_timeout').length;
    say(
      `[${String(Math.round(line.t)).padStart(4)} s] users ${line.users}/${target}  runs ${metrics.runs.length} (${line.runsPerS}/s)  edits ${metrics.edits} (${line.editsPerS}/s)  ` +
        `latency p50 ${line.p50} ms p99 ${line.p99} ms (last 500)  429s ${metrics.rateLimited.total()}  timeouts ${timeouts}  errors ${errors}`,
    );
  };

  // Drive the curve.
  while (elapsedS() < opts.durationS) {
    const target = Math.round(opts.users * activeFraction(opts.curve, elapsedS(), opts.durationS, opts.rampS));
    const staying = [...active].filter((u) => !u.leaving);
    if (staying.length < target) {
      for (let i = staying.length; i < target; i++) startUser();
    } else if (staying.length > target) {
      for (const u of staying.slice(target)) u.leaving = true;
    }
    peakUsers = Math.max(peakUsers, active.size);
    if (Date.now() - lastProgress >= (opts.progressEveryMs ?? 2000)) {
      lastProgress = Date.now();
      progress(target);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  // Wind down: no new runs; in-flight runs get the grace period.
  stopping = true;
  for (const w of [...wakers]) w();
  say(`duration reached; waiting up to ${opts.graceS} s for ${active.size} people to get their last result`);
  const deadline = Date.now() + opts.graceS * 1000;
  while (active.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (Date.now() - lastProgress >= (opts.progressEveryMs ?? 2000)) {
      lastProgress = Date.now();
      progress(0);
    }
  }
  hardStop = true;
  const abandoned = active.size;
  for (const u of active) u.session?.terminate();
  await Promise.all([...active].map((u) => u.done));
  if (abandoned) metrics.userErrors.add('abandoned_at_grace_end', abandoned);

  const seconds = opts.durationS;
  const answered = metrics.answered();
  const statuses = new Counter();
  for (const r of metrics.runs) statuses.add(r.status);
  const pick = (f: (r: (typeof answered)[number]) => number | undefined) => summarize(answered.map(f).filter((x): x is number => x !== undefined));
  const { onProgress: _drop, ...options } = opts;
  return {
    options,
    startedAt: new Date(t0).toISOString(),
    elapsedS: r1(elapsedS()),
    totals: {
      sittings: metrics.sittingsStarted, sittingsFinished: metrics.sittingsFinished, runs: metrics.runs.length, runsPerS: r1((10 * metrics.runs.length) / seconds) / 10,
      answered: answered.length, edits: metrics.edits, editOps: metrics.editOps, editsPerS: r1(metrics.edits / seconds), peakUsers,
      rateLimited: metrics.rateLimited.toJSON(), protocolErrors: metrics.protocolErrors.toJSON(), userErrors: metrics.userErrors.toJSON(), unexpectedStatuses: metrics.unexpectedCount,
    },
    statuses: statuses.toJSON(),
    latency: pick((r) => r.latencyMs),
    perLanguage: byLanguage(metrics, seconds),
    hops: { accept: pick((r) => r.acceptMs), queueWait: pick((r) => r.queueWaitMs), exec: pick((r) => r.execMs), returnPath: pick((r) => r.returnMs), firstOutput: pick((r) => r.firstOutputMs) },
    editAck: summarize(metrics.editAckMs),
    timeline,
    samples: { protocolErrors: metrics.protocolErrorSamples, unexpected: metrics.unexpected },
    runs: metrics.runs,
  };
}

export function writeReport(file: string, report: LoadReport): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, 1));
}
