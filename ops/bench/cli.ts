import type { Command } from 'commander';
import { DEFAULT_MIX, DEFAULT_PROTOCOLS } from '../load/mix';
import { parseCurve } from '../load/curve';
import { parseRange, runLoad, writeReport } from '../load/runner';
import { formatLoadReport } from '../load/summary';
import { SECTION_NAMES, runBench } from './suite';
import { parseOpenRates } from './pipeline';

const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw Object.assign(new Error(`${name} must be a number from ${min} to ${max}, not "${v}"`), { code: 'invalid_argument' });
  return n;
};

/** `conveyor load` and `conveyor bench`. */
export function registerLoadAndBench(program: Command, log: (msg: string) => void): void {
  program
    .command('load')
    .description('simulate people using the editor (WebSocket; optionally REST and Piston) and report achieved rates and latency')
    .option('--url <url>', 'gateway base URL', 'http://127.0.0.1:8080')
    .option('--users <n>', 'concurrent people at peak', num('--users', 1, 100000), 50)
    .option('--duration <s>', 'seconds of load', num('--duration', 1, 86400), 60)
    .option('--ramp <s>', 'seconds to ramp up to --users (flat curve)', num('--ramp', 0, 86400), 10)
    .option('--curve <kind>', 'flat, or day: one day compressed into --duration, 80% of user-time in 20% of it', 'flat')
    .option('--mix <weights>', 'languages and dependency sets with weights', DEFAULT_MIX)
    .option('--protocols <weights>', 'ws, rest, piston with weights', DEFAULT_PROTOCOLS)
    .option('--speed <x>', 'time compression of human typing and thinking (1 = real time)', num('--speed', 0.1, 1000), 3)
    .option('--think <s>', 'human seconds of reading and thinking between runs, MIN-MAX', '60-180')
    .option('--runs <n>', 'runs per sitting, MIN-MAX', '10-20')
    .option('--seed <n>', 'random seed (programs, edits, timing)', num('--seed', 0, 2 ** 31), 1)
    .option('--grace <s>', 'seconds to wait for in-flight runs at the end', num('--grace', 0, 3600), 60)
    .option('--result-timeout <s>', 'seconds a person waits for a result before giving up', num('--result-timeout', 1, 3600), 120)
    .option('--out <file>', 'JSON report', 'bench-results/load.json')
    .action(async (o: { url: string; users: number; duration: number; ramp: number; curve: string; mix: string; protocols: string; speed: number; think: string; runs: string; seed: number; grace: number; resultTimeout: number; out: string }) => {
      const health = await fetch(`${o.url}/healthz`, { signal: AbortSignal.timeout(3000) }).catch(() => null);
      if (!health?.ok) throw Object.assign(new Error(`no gateway answers at ${o.url}/healthz; start one with \`npm start\` or pass --url`), { code: 'gateway_unreachable' });
      const interactive = process.stderr.isTTY;
      const report = await runLoad({
        url: o.url.replace(/\/$/, ''), users: o.users, durationS: o.duration, rampS: o.ramp, curve: parseCurve(o.curve), mix: o.mix, protocols: o.protocols, speed: o.speed,
        thinkS: parseRange(o.think, '--think'), runs: parseRange(o.runs, '--runs'), seed: o.seed, graceS: o.grace, resultTimeoutS: o.resultTimeout,
        onProgress: interactive ? (l) => process.stderr.write(`\r\x1b[K${l}`) : log, progressEveryMs: interactive ? 1000 : 5000,
      });
      if (interactive) process.stderr.write('\n');
      console.log(formatLoadReport(report));
      writeReport(o.out, report);
      console.log(`\nreport written to ${o.out}`);
    });

  program
    .command('bench [sections...]')
    .description(`run the benchmark suite (sections: ${SECTION_NAMES.join(', ')}; default all but chaos) and write bench-results/latest.{json,html}`)
    .option('--iterations <n>', 'samples per latency measurement', num('--iterations', 3, 100000), 30)
    .option('--seconds <s>', 'seconds per throughput measurement', num('--seconds', 3, 3600), 15)
    .option('--sessions <n>', 'concurrent sessions for throughput measurements', num('--sessions', 1, 10000), 32)
    .option('--rows <n>', 'generated runs the dashboard queries are timed over', num('--rows', 1000, 1e9), 10_000_000)
    .option('--runtime-iterations <n>', 'iterations for the runtimes section', num('--runtime-iterations', 3, 1000), 10)
    .option('--chaos-scale <x>', 'chaos section: kill counts and outage lengths as a share of the full ones (1 = 20 kills, 60 s registry, 5 min analytics)', num('--chaos-scale', 0.01, 10), 1)
    .option('--chaos-only <scenarios>', 'chaos section: only these scenarios, comma-separated (executor-kills, broker-leader-kill, registry-outage, analytics-outage, gateway-kill, broker-restart, overload)')
    .option('--open-rates <list>', "pipeline section: the open loop's offered rates, runs/s, comma-separated (default: 50% and 80% of the closed loop's rate, and the goal's 150)", parseOpenRates)
    .option('--out <dir>', 'report directory', 'bench-results')
    .option('--no-store', 'do not load the results into ClickHouse')
    .action(async (sections: string[], o: { iterations: number; seconds: number; sessions: number; rows: number; runtimeIterations: number; chaosScale: number; chaosOnly?: string; openRates?: number[]; out: string; store: boolean }) => {
      const report = await runBench({ sections, iterations: o.iterations, seconds: o.seconds, sessions: o.sessions, rows: o.rows, runtimeIterations: o.runtimeIterations, chaosScale: o.chaosScale, chaosOnly: o.chaosOnly?.split(',').map((x) => x.trim()).filter(Boolean), openRates: o.openRates, outDir: o.out, store: o.store, log });
      console.log(`\nreport: ${report.files.json}\n        ${report.files.html}${report.stored ? `\nClickHouse: ${report.stored}` : ''}`);
    });
}
