import type { RunOutcome } from './editor-session';
import { Counter, RateWindow, r1, summarize, type Summary } from './stats';

/**
 * What a load run measures: every run (language, program kind, protocol,
 * status, latency and its hops), every acknowledged edit, rate limiting,
 * protocol errors and statuses a healthy service would not have produced.
 */
export interface RunSample {
  t: number;
  language: string;
  dependencySet?: string;
  program: string;
  kind: string;
  protocol: string;
  status: string;
  latencyMs: number;
  acceptMs: number;
  firstOutputMs?: number;
  queueWaitMs?: number;
  execMs?: number;
  compileMs?: number;
  runMs?: number;
  returnMs?: number;
  cacheHit?: boolean;
  pooled?: boolean;
}

const SAMPLE_LIMIT = 20;

export class LoadMetrics {
  readonly runs: RunSample[] = [];
  readonly editAckMs: number[] = [];
  edits = 0;
  editOps = 0;
  readonly rateLimited = new Counter();
  readonly protocolErrors = new Counter();
  readonly protocolErrorSamples: { code: string; message: string }[] = [];
  readonly unexpected: { program: string; expected: string; got: string; message?: string }[] = [];
  unexpectedCount = 0;
  readonly userErrors = new Counter();
  sittingsStarted = 0;
  sittingsFinished = 0;
  private runRate = new RateWindow(5000);
  private editRate = new RateWindow(5000);

  constructor(private t0 = Date.now()) {}

  now(): number {
    return Date.now() - this.t0;
  }

  run(o: RunOutcome, ctx: { language: string; dependencySet?: string; program: string; kind: string; protocol: string; expected: string }): void {
    const r = o.result;
    const sample: RunSample = {
      t: this.now(), language: ctx.language, dependencySet: ctx.dependencySet, program: ctx.program, kind: ctx.kind, protocol: ctx.protocol,
      status: o.status, latencyMs: o.latencyMs, acceptMs: o.acceptMs, firstOutputMs: o.firstOutputMs,
    };
    if (r) {
      sample.queueWaitMs = r.startedAtMs - r.requestedAtMs;
      sample.execMs = r.finishedAtMs - r.startedAtMs;
      sample.compileMs = r.compile?.wallMs;
      sample.runMs = r.run?.wallMs;
      sample.returnMs = o.receivedAtMs - r.finishedAtMs;
      sample.cacheHit = r.cacheHit;
      sample.pooled = r.pooled;
    }
    this.runs.push(sample);
    this.runRate.mark(Date.now());
    if (o.status !== ctx.expected) {
      this.unexpectedCount++;
      if (this.unexpected.length < SAMPLE_LIMIT) {
        const detail = r ? (r.message ?? r.run?.stderr ?? '').slice(0, 300) : o.message;
        this.unexpected.push({ program: ctx.program, expected: ctx.expected, got: o.status, message: detail });
      }
    }
  }

  editAcked(ms: number, ops: number): void {
    this.edits++;
    this.editOps += ops;
    this.editAckMs.push(ms);
    this.editRate.mark(Date.now());
  }

  protocolError(code: string, message: string): void {
    this.protocolErrors.add(code);
    if (this.protocolErrorSamples.length < SAMPLE_LIMIT) this.protocolErrorSamples.push({ code, message: message.slice(0, 300) });
  }

  runsPerSecondNow = () => this.runRate.perSecond(Date.now());
  editsPerSecondNow = () => this.editRate.perSecond(Date.now());

  /** Latency of runs that produced a result (the service's answer, whatever the program did). */
  answered(): RunSample[] {
    return this.runs.filter((r) => !r.status.startsWith('rejected:') && r.status !== 'client_timeout' && r.status !== 'disconnected');
  }
}

export interface LanguageRow { language: string; runs: number; runsPerS: number; latency: Summary; queueWait: Summary; statuses: Record<string, number> }

export function byLanguage(m: LoadMetrics, seconds: number): LanguageRow[] {
  const groups = new Map<string, RunSample[]>();
  for (const r of m.runs) {
    const k = r.dependencySet ? `${r.language} (${r.dependencySet})` : r.language;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([language, rs]) => {
      const statuses = new Counter();
      for (const r of rs) statuses.add(r.status);
      const answered = rs.filter((r) => r.queueWaitMs !== undefined);
      return {
        language, runs: rs.length, runsPerS: r1((10 * rs.length) / seconds) / 10,
        latency: summarize(answered.map((r) => r.latencyMs)), queueWait: summarize(answered.map((r) => r.queueWaitMs!)), statuses: statuses.toJSON(),
      };
    });
}
