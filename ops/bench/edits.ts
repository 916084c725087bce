import { Typist } from '../load/typist';
import { r1, summarize } from '../load/stats';
import type { ReportSection } from './section';
import { cpuPerRun, cpuSnapshot, type CpuRoots } from './cpu';
import { cpuYardstick, CPU_YARDSTICK_SAMPLES, meanMs } from './baseline';

/** Who pays for an edit: the gateway applies and produces it, the broker stores it, the executor applies it to its buffer, the sink loads its metadata. */
const CPU_COLUMNS = ['gateway', 'broker', 'registry', 'executor', 'analytics sink', 'bench client'];

/**
 * Edit ingestion: sessions typing as fast as the gateway acknowledges (one
 * edit in flight per session, as an editor keeps it), at a few concurrency
 * levels. An ack means the gateway applied the edit and Kafka accepted the
 * event (the gateway awaits the produce before acknowledging).
 */
export async function benchEdits(opts: { url: string; seconds: number; sessions: number; cpuRoots?: () => Promise<CpuRoots>; onProgress?: (m: string) => void }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  // With one edit in flight per session, up to ~128 sessions the rate is bound by the ack's round trip, not by CPU;
  // the last level (16× --sessions, 512 by default) is a gateway's share of many typists, where its CPU decides.
  const levels = [...new Set([1, Math.max(2, Math.round(opts.sessions / 4)), opts.sessions, opts.sessions * 4, opts.sessions * 16])];
  const rows: (string | number)[][] = [];
  const cpuRows: (string | number)[][] = [];
  const samples: Record<string, number[]> = {};
  const chart = { labels: [] as string[], rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const seconds = Math.max(3, Math.round(opts.seconds * 0.7));
  // The CPU rows' yardstick: a bare python3 start's CPU just before and after each level (baseline.ts).
  const yardstick = opts.cpuRoots ? await cpuYardstick() : null;
  try {
    for (const n of levels) {
      say(`${n} sessions typing for ${seconds} s`);
      const acks: number[] = [];
      const errors: string[] = [];
      const hooks = { editAcked: (ms: number) => acks.push(ms), rateLimited: () => errors.push('rate_limited'), protocolError: (c: string, m: string) => errors.push(`${c}: ${m}`) };
      // The typist sends what an EditorSession sends, at less of the shared cores' cost (ops/load/typist.ts).
      const sessions = await Promise.all(
        Array.from({ length: n }, (_, i) => Typist.open(`${opts.url.replace(/^http/, 'ws')}/ws/editor`, `bench-edits-${n}-${i}-${Date.now()}`, 'python', 'x = 0\n')),
      );
      const roots = opts.cpuRoots ? await opts.cpuRoots() : null;
      const yardstickBefore = (await yardstick?.take()) ?? [];
      const cpu0 = roots ? cpuSnapshot(roots) : null;
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      try {
        // A keystroke or two at the end of the text, then a line break now and then; keeps the buffer small and realistic.
        await Promise.all(sessions.map((s) => s.typeUntil(end, hooks)));
      } finally {
        sessions.forEach((s) => s.close());
      }
      const cpu1 = roots ? cpuSnapshot(roots) : null;
      const secs = (performance.now() - t0) / 1000;
      const l = summarize(acks);
      if (cpu0 && cpu1) {
        // Per 1,000 acknowledged edits: per-edit figures are fractions of a millisecond.
        const c = cpuPerRun(cpu0, cpu1, acks.length / 1000);
        const r2 = (x: number) => Math.round(x * 100) / 100;
        const bare = meanMs([...yardstickBefore, ...((await yardstick?.take()) ?? [])]);
        cpuRows.push([n, Math.round(acks.length / secs), ...CPU_COLUMNS.map((k) => (k in c.perRun ? r2(c.perRun[k]!) : '—')), r2(c.total), r2(c.other), r2(((c.total + c.other) * acks.length) / 1000 / secs / 1000), r2(bare), r2(c.total / bare)]);
      }
      const rate = Math.round(acks.length / secs);
      samples[`edit ack, ${n} sessions`] = acks;
      rows.push([n, acks.length, r1(secs), rate, r1(l.p50), r1(l.p95), r1(l.p99), r1(l.max), errors.length ? `${errors.length}: ${errors.slice(0, 2).join('; ')}` : 'none']);
      chart.labels.push(`${n} session${n === 1 ? "" : "s"}`);
      chart.rate.push(rate);
      chart.p50.push(r1(l.p50));
      chart.p99.push(r1(l.p99));
      say(`${n} sessions: ${rate} edits/s acknowledged, p50 ${r1(l.p50)} ms, p99 ${r1(l.p99)} ms`);
    }
  } finally {
    yardstick?.close();
  }
  return {
    name: 'edits',
    tables: [
      { title: 'Edit events ingested (gateway applies, produces to editor.edits, acknowledges)', columns: ['sessions', 'edits', 'seconds', 'edits/s', 'ack median', 'ack p95', 'ack p99', 'ack max', 'errors'], rows },
      ...(cpuRows.length
        ? [{ title: `CPU ms per 1,000 acknowledged edits of each process (/proc utime+stime; the analytics sink runs only beside the pipeline section; other = the rest of the machine; cores = all CPU ms per second / 1000; bare python3 CPU: the mean user + system time of ${CPU_YARDSTICK_SAMPLES} bare python3 -c 'print(1)' just before and ${CPU_YARDSTICK_SAMPLES} just after the level, the yardstick of the host's speed)`, columns: ['sessions', 'edits/s', ...CPU_COLUMNS, 'all ours', 'other', 'cores busy', 'bare python3 CPU ms', 'all ours ÷ bare python3 CPU'], rows: cpuRows }]
        : []),
    ],
    samples,
    charts: [
      { title: 'Edits acknowledged per second by concurrent sessions', kind: 'bar', labels: chart.labels, datasets: [{ label: 'edits/s', data: chart.rate }], yTitle: 'edits/s' },
      { title: 'Edit acknowledgement latency (ms)', kind: 'bar', labels: chart.labels, datasets: [{ label: 'p50', data: chart.p50 }, { label: 'p99', data: chart.p99 }], yTitle: 'ms' },
    ],
  };
}
