import { generateTrace } from './trace';
import { validateModel, type WaitFigures } from './validate';

/**
 * `npx tsx ops/fleet/simulate/validate-study.ts [fluid|chain] [traces] [seeds]`: a model
 * against the run-by-run simulation at 1/100 scale on the afternoon ramp and
 * evening peak of several generated traces (their counts differ by their
 * Poisson draws), capacity 1–5 and 10 minutes late; prints model/run-by-run − 1
 * for mean wait, p99 and share over 1 s, over all traces and per trace. One
 * trace's light-queueing figures move by tens of % with its draws, so a model
 * is judged on the mean over traces (decision doc).
 */
function afternoon(seed: number) {
  const day = generateTrace({ days: 1, scale: 0.01, classShares: { x86_64: 1 }, holidayDay: -1, spikeDay: -1, seed });
  const c = day.classes.x86_64!;
  const from = 14 * 60;
  return { ...day, start: day.start + from, minutes: day.minutes - from, classes: { x86_64: { runs: c.runs.slice(from), cpuSeconds: c.cpuSeconds.slice(from) } } };
}

const [model = 'fluid', traceList = '1,2,3,4', seedList = '1,2,3'] = process.argv.slice(2);
const traces = traceList.split(',').map(Number);
const seeds = seedList.split(',').map(Number);
const ks = ['meanWait', 'p99', 'shareOver1s'] as const;
for (const lag of [1, 2, 3, 4, 5, 10]) {
  const t0 = Date.now();
  const sum = (): Pick<WaitFigures, (typeof ks)[number]> => ({ meanWait: 0, p99: 0, shareOver1s: 0 });
  const mod = sum();
  const des = sum();
  const per: string[] = [];
  for (const t of traces) {
    const r = validateModel(afternoon(t), 'x86_64', { lagMinutes: lag, seeds, model: model as 'fluid' | 'chain' });
    for (const k of ks) (mod[k] += r.model[k]), (des[k] += r.runByRun[k]);
    per.push(ks.map((k) => ((r.model[k] / r.runByRun[k] - 1) * 100).toFixed(0)).join('/'));
  }
  console.log(`${model}, capacity ${lag} min late: ${ks.map((k) => `${k} ${((mod[k] / des[k] - 1) * 100).toFixed(1)}%`).join(', ')}; per trace ${per.join(' | ')} (${Date.now() - t0} ms)`);
}
