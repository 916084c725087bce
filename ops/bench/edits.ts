import { EditorSession } from '../load/editor-session';
import { r1, summarize } from '../load/stats';
import type { ReportSection } from './section';

/**
 * Edit ingestion: sessions typing as fast as the gateway acknowledges (one
 * edit in flight per session, as an editor keeps it), at a few concurrency
 * levels. An ack means the gateway applied the edit and Kafka accepted the
 * event (the gateway awaits the produce before acknowledging).
 */
export async function benchEdits(opts: { url: string; seconds: number; sessions: number; onProgress?: (m: string) => void }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const levels = [...new Set([1, Math.max(2, Math.round(opts.sessions / 4)), opts.sessions, opts.sessions * 4])];
  const rows: (string | number)[][] = [];
  const samples: Record<string, number[]> = {};
  const chart = { labels: [] as string[], rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const seconds = Math.max(3, Math.round(opts.seconds * 0.7));
  for (const n of levels) {
    say(`${n} sessions typing for ${seconds} s`);
    const acks: number[] = [];
    const errors: string[] = [];
    const hooks = { editAcked: (ms: number) => acks.push(ms), rateLimited: () => errors.push('rate_limited'), protocolError: (c: string, m: string) => errors.push(`${c}: ${m}`) };
    const sessions = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const s = await EditorSession.connect(`${opts.url.replace(/^http/, 'ws')}/ws/editor`, `bench-edits-${n}-${i}-${Date.now()}`, hooks);
        await s.open('python', undefined, 'x = 0\n');
        return s;
      }),
    );
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    try {
      await Promise.all(
        sessions.map(async (s) => {
          let k = 0;
          while (performance.now() < end) {
            // A keystroke or two, then a line break now and then; keeps the buffer small and realistic.
            s.edit([{ offset: s.text.length, deleteCount: 0, insert: ++k % 40 === 0 ? '\n' : 'ab' }]);
            await s.flush();
          }
        }),
      );
    } finally {
      sessions.forEach((s) => s.close());
    }
    const secs = (performance.now() - t0) / 1000;
    const l = summarize(acks);
    const rate = Math.round(acks.length / secs);
    samples[`edit ack, ${n} sessions`] = acks;
    rows.push([n, acks.length, r1(secs), rate, r1(l.p50), r1(l.p95), r1(l.p99), r1(l.max), errors.length ? `${errors.length}: ${errors.slice(0, 2).join('; ')}` : 'none']);
    chart.labels.push(`${n} session${n === 1 ? "" : "s"}`);
    chart.rate.push(rate);
    chart.p50.push(r1(l.p50));
    chart.p99.push(r1(l.p99));
    say(`${n} sessions: ${rate} edits/s acknowledged, p50 ${r1(l.p50)} ms, p99 ${r1(l.p99)} ms`);
  }
  return {
    name: 'edits',
    tables: [{ title: 'Edit events ingested (gateway applies, produces to editor.edits, acknowledges)', columns: ['sessions', 'edits', 'seconds', 'edits/s', 'ack median', 'ack p95', 'ack p99', 'ack max', 'errors'], rows }],
    samples,
    charts: [
      { title: 'Edits acknowledged per second by concurrent sessions', kind: 'bar', labels: chart.labels, datasets: [{ label: 'edits/s', data: chart.rate }], yTitle: 'edits/s' },
      { title: 'Edit acknowledgement latency (ms)', kind: 'bar', labels: chart.labels, datasets: [{ label: 'p50', data: chart.p50 }, { label: 'p99', data: chart.p99 }], yTitle: 'ms' },
    ],
  };
}
