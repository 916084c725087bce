import { formatTable } from '../cli/table';
import type { LoadReport } from './runner';
import type { Summary } from './stats';

/** The end-of-run report on the terminal: achieved rates, latency per language, statuses, hops, trouble. */
export function formatLoadReport(r: LoadReport): string {
  const ms = (x: number) => (Number.isFinite(x) ? Math.round(x) : '-');
  const lat = (s: Summary) => [ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
  const out: string[] = [];
  const t = r.totals;
  out.push(
    `\nLoad: ${r.options.users} users (${r.options.curve}${r.options.curve === 'flat' ? `, ramp ${r.options.rampS} s` : ''}), ${r.options.durationS} s at ${r.options.speed}x human speed against ${r.options.url}`,
  );
  out.push(
    formatTable(['achieved', 'value'], [
      ['people (sittings started / finished)', `${t.sittings} / ${t.sittingsFinished}`],
      ['peak concurrent people', t.peakUsers],
      ['runs (answered)', `${t.runs} (${t.answered})`],
      ['runs/s', t.runsPerS],
      ['edit messages (ops)', `${t.edits} (${t.editOps})`],
      ['edits/s', t.editsPerS],
      ['edit ack p50 / p99 ms', `${ms(r.editAck.p50)} / ${ms(r.editAck.p99)}`],
      ['rate limited (429)', JSON.stringify(t.rateLimited)],
      ['protocol errors', JSON.stringify(t.protocolErrors)],
      ['client errors', JSON.stringify(t.userErrors)],
      ['statuses a healthy service would not give', t.unexpectedStatuses],
    ]),
  );
  out.push('\nRun latency, run message sent → result received (ms)');
  out.push(
    formatTable(
      ['language', 'runs', 'runs/s', 'p50', 'p95', 'p99', 'max', 'queue p50', 'queue p99', 'statuses'],
      [
        ...r.perLanguage.map((l) => [l.language, l.runs, l.runsPerS, ...lat(l.latency), ms(l.queueWait.p50), ms(l.queueWait.p99), Object.entries(l.statuses).map(([k, v]) => `${k} ${v}`).join(', ')]),
        ['all', t.runs, t.runsPerS, ...lat(r.latency), ms(r.hops.queueWait.p50), ms(r.hops.queueWait.p99), Object.entries(r.statuses).map(([k, v]) => `${k} ${v}`).join(', ')],
      ] as (string | number)[][],
    ),
  );
  out.push('\nWhere the time goes (ms; from the result\'s requestedAtMs/startedAtMs/finishedAtMs)');
  out.push(
    formatTable(['hop', 'n', 'p50', 'p95', 'p99', 'max'], [
      ['run sent → run_accepted', r.hops.accept.n, ...lat(r.hops.accept)],
      ['queue wait (requested → started)', r.hops.queueWait.n, ...lat(r.hops.queueWait)],
      ['execution (started → finished)', r.hops.exec.n, ...lat(r.hops.exec)],
      ['return path (finished → client)', r.hops.returnPath.n, ...lat(r.hops.returnPath)],
      ['first output chunk', r.hops.firstOutput.n, ...lat(r.hops.firstOutput)],
    ] as (string | number)[][]),
  );
  if (r.samples.unexpected.length) {
    out.push('\nUnexpected statuses (first few)');
    for (const u of r.samples.unexpected.slice(0, 8)) out.push(`  ${u.program}: expected ${u.expected}, got ${u.got}${u.message ? ` — ${u.message.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`);
  }
  if (r.samples.protocolErrors.length) {
    out.push('\nProtocol errors (first few)');
    for (const e of r.samples.protocolErrors.slice(0, 8)) out.push(`  ${e.code}: ${e.message.slice(0, 160)}`);
  }
  return out.join('\n');
}
