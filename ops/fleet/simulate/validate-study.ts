import { validateOverTraces } from './validate';

/**
 * `npx tsx ops/fleet/simulate/validate-study.ts [fluid|chain] [traces] [seeds]`: a model
 * against the run-by-run simulation at 1/100 scale on the afternoon ramp and
 * evening peak of several generated traces (their counts differ by their
 * Poisson draws), capacity 1–5 and 10 minutes late; prints model/run-by-run − 1
 * for mean wait, p99 and share over 1 s, over all traces and per trace, and the
 * minutes whose p99 is over 1 s (mean per trace, model and run by run). One
 * trace's light-queueing figures move by tens of % with its draws, so a model
 * is judged on the mean over traces (decision doc).
 */
const args = process.argv.slice(2);
// --json: one JSON object of every lag's mean figures on stdout (the test runs it out of process, as jest's module sandbox runs this loop ~6× slower).
const json = args.includes('--json');
const [model = 'fluid', traceList = '1,2,3,4', seedList = '1,2,3'] = args.filter((a) => a !== '--json');
const traces = traceList.split(',').map(Number);
const seeds = seedList.split(',').map(Number);
const ks = ['meanWait', 'p99', 'shareOver1s'] as const;
const all: Record<number, ReturnType<typeof validateOverTraces>> = {};
for (const lag of [1, 2, 3, 4, 5, 10]) {
  const t0 = Date.now();
  const r = validateOverTraces(lag, traces, seeds, model as 'fluid' | 'chain');
  all[lag] = r;
  if (json) continue;
  const per = r.perTrace.map((p) => ks.map((k) => (p[k] * 100).toFixed(0)).join('/'));
  // Minutes whose p99 is over 1 s, per trace (model, and run by run the mean over seeds): the model's p99 is of a
  // minute's expected distribution, a run-by-run minute's is of one draw.
  const minutes = `minutes p99 > 1 s ${r.model.minutesP99Over1s.toFixed(0)} vs ${r.runByRun.minutesP99Over1s.toFixed(0)}`;
  console.log(`${model}, capacity ${lag} min late: ${ks.map((k) => `${k} ${((r.model[k] / r.runByRun[k] - 1) * 100).toFixed(1)}%`).join(', ')}; ${minutes}; per trace ${per.join(' | ')} (${Date.now() - t0} ms)`);
}
if (json) console.log(JSON.stringify(all));
