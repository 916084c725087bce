import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchAnalytics } from '../../consumers/sink/bench';
import { benchRuntimes } from '../../runtimes/bench';
import { repoRoot } from '../../topics/ground/paths';
import { formatTable } from '../cli/table';
import { up } from '../infra/stack';
import { benchChaos } from './chaos';
import { benchEdits } from './edits';
import { benchEditor } from './editor';
import { benchFleet } from './fleet';
import { renderHtml } from './html';
import { benchPipeline } from './pipeline';
import { benchReplay } from './replay';
import { benchScheduling } from './scheduling';
import type { ReportSection } from './section';
import { startBenchServices, type BenchServices } from './services';

/**
 * `conveyor bench [sections…]`: brings up what the sections need (the
 * infrastructure; an executor and a gateway of this tree on bench ports),
 * runs the sections in order, stops what it started, and writes one report
 * (JSON + HTML) and its rows in ClickHouse.
 */
export const SECTION_NAMES = ['pipeline', 'edits', 'editor', 'runtimes', 'analytics', 'scheduling', 'replay', 'fleet', 'chaos'] as const;
/** What a bench without named sections runs: chaos (25+ minutes, it kills and stops things) only when named. */
export const DEFAULT_SECTIONS = SECTION_NAMES.filter((s) => s !== 'chaos');
type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchOptions {
  sections: string[];
  iterations: number;
  seconds: number;
  sessions: number;
  rows: number;
  runtimeIterations: number;
  /** Kill counts and outage lengths of the chaos section, as a share of the full ones. */
  chaosScale?: number;
  /** Chaos scenarios to run (default all). */
  chaosOnly?: string[];
  /** The pipeline's open loop at exactly these offered rates (runs/s) instead of shares of its closed loop. */
  openRates?: number[];
  outDir: string;
  store: boolean;
  log: (m: string) => void;
}

export interface BenchReport {
  meta: { runId: string; commit: string; dirty: boolean; timestamp: string; host: string; cpus: number; cpuModel: string; memoryGiB: number; node: string; seconds: number; sections: string[]; options: Record<string, unknown>; note?: string };
  sections: ReportSection[];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function printSection(s: ReportSection, print: (l: string) => void): void {
  print(`\n=== ${s.name}${s.seconds ? ` (${Math.round(s.seconds)} s)` : ''} ===`);
  if (s.error) return print(`not measured: ${s.error}`);
  for (const t of s.tables) print(`\n${t.title}\n${formatTable(t.columns, t.rows)}`);
}

export async function runBench(o: BenchOptions): Promise<{ report: BenchReport; files: { json: string; html: string }; stored?: string }> {
  const chosen: SectionName[] = o.sections.length ? (o.sections as SectionName[]) : [...DEFAULT_SECTIONS];
  for (const s of chosen) if (!SECTION_NAMES.includes(s)) throw Object.assign(new Error(`unknown section "${s}"; sections are ${SECTION_NAMES.join(', ')}`), { code: 'unknown_section' });
  const t0 = Date.now();
  const say = (section: string) => (m: string) => o.log(`bench ${section}: ${m}`);
  o.log('bench: bringing up the infrastructure');
  await up((m) => o.log(`bench: ${m}`));

  const sections: ReportSection[] = [];
  const timed = async (name: string, f: () => Promise<ReportSection>) => {
    const s0 = Date.now();
    let s: ReportSection;
    try {
      s = await f();
    } catch (err) {
      o.log(`bench ${name}: failed: ${(err as Error).stack ?? err}`);
      s = { name, tables: [], error: (err as Error).message };
    }
    s.seconds = (Date.now() - s0) / 1000;
    sections.push(s);
    printSection(s, (l) => console.log(l));
  };

  const needsServices = chosen.includes('pipeline') || chosen.includes('edits') || chosen.includes('editor');
  let services: BenchServices | undefined;
  if (needsServices) {
    const running = await fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (running) o.log('bench: note: a gateway answers on :8080 (npm start?); its executors share the consumer group and the CPU, so numbers include its load');
    services = await startBenchServices({ env: { RATE_RUNS_PER_MINUTE: '1000000', RATE_RUNS_BURST: '100000', RATE_EDITS_PER_SECOND: '1000000', RATE_EDITS_BURST: '1000000' }, analytics: chosen.includes('pipeline'), onProgress: say('services') });
  }
  try {
    if (chosen.includes('pipeline')) await timed('pipeline', () => benchPipeline({ url: services!.url, iterations: o.iterations, seconds: o.seconds, sessions: o.sessions, openRates: o.openRates, cpuRoots: () => services!.cpuRoots(), analyticsUrl: services!.analyticsUrl, onProgress: say('pipeline') }));
    if (chosen.includes('editor')) await timed('editor', () => benchEditor({ url: services!.url, iterations: o.iterations, onProgress: say('editor') }));
    if (chosen.includes('edits')) await timed('edits', () => benchEdits({ url: services!.url, seconds: o.seconds, sessions: o.sessions, cpuRoots: () => services!.cpuRoots(), onProgress: say('edits') }));
  } finally {
    if (services) {
      o.log('bench: stopping the bench executor and gateway');
      await services.stop();
    }
  }
  // Starts executors of its own (FIFO, then the scheduler), after the shared bench services stopped.
  if (chosen.includes('scheduling')) await timed('scheduling', () => benchScheduling({ onProgress: say('scheduling') }));
  // Records runs through a bench gateway and executor of its own, then replays them on a replay executor group.
  if (chosen.includes('replay')) await timed('replay', () => benchReplay({ onProgress: say('replay') }));
  // A fleet manager of its own (executors it starts and stops), also after the shared bench services stopped.
  if (chosen.includes('fleet')) await timed('fleet', () => benchFleet({ onProgress: say('fleet') }));
  if (chosen.includes('runtimes')) await timed('runtimes', () => benchRuntimes({ iterations: o.runtimeIterations, onProgress: say('runtimes') }));
  if (chosen.includes('analytics')) await timed('analytics', () => benchAnalytics({ rows: o.rows, onProgress: say('analytics') }));
  if (chosen.includes('chaos')) await timed('chaos', () => benchChaos({ scale: o.chaosScale ?? 1, only: o.chaosOnly, onProgress: say('chaos') }));

  const commit = git(['rev-parse', 'HEAD']) || 'unknown';
  const report: BenchReport = {
    meta: {
      runId: randomUUID(), commit, dirty: git(['status', '--porcelain', '--untracked-files=no']).length > 0, timestamp: new Date().toISOString(), host: os.hostname(),
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, seconds: (Date.now() - t0) / 1000,
      sections: chosen, options: { iterations: o.iterations, seconds: o.seconds, sessions: o.sessions, rows: o.rows, runtimeIterations: o.runtimeIterations, ...(chosen.includes('chaos') ? { chaosScale: o.chaosScale ?? 1 } : {}) },
      note: `Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) — other processes on this machine share the cores.`,
    },
    sections,
  };
  fs.mkdirSync(o.outDir, { recursive: true });
  const files = { json: path.join(o.outDir, 'latest.json'), html: path.join(o.outDir, 'latest.html') };
  fs.writeFileSync(files.json, JSON.stringify(report, null, 1));
  fs.writeFileSync(files.html, renderHtml(report));
  let stored: string | undefined;
  if (o.store) {
    o.log('bench: loading the results into ClickHouse (bench_results)');
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'store.ts'), path.resolve(files.json)], { cwd: repoRoot, encoding: 'utf8', timeout: 120000 });
    if (r.status === 0) {
      const res = JSON.parse(r.stdout) as { where: string; runs: number };
      stored = `${res.where}, table bench_results (${res.runs} runs recorded)`;
    } else {
      o.log(`bench: could not store the results in ClickHouse: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
    }
  }
  return { report, files, stored };
}
