/**
 * The demand rate behind a trace's counts, minute by minute. A minute's count
 * of runs is one Poisson draw around the demand, and the run-by-run replay puts
 * that count at uniform times: together, a Poisson process at the demand's
 * rate. The queue model's arrivals are Poisson already, so driven at the
 * count itself it would add the count's noise a second time (1.5–1.9×
 * pessimistic waits under a steady load, decision doc). So the model is driven
 * at the demand, estimated by a centred mean of the counts over ± `half`
 * minutes, taken in pairs at equal distance (so a linear ramp stays as it
 * is), leaving out a pair whose mean is off the minute's own count by more
 * than 4 of its Poisson deviations (one side across a step such as a spike:
 * the step stays a step); CPU seconds alike, so the mean service time is the
 * window's.
 */
export function demandOf(runs: ArrayLike<number>, cpuSeconds: ArrayLike<number>, half = 4): { runs: Float64Array; cpuSeconds: Float64Array } {
  const n = runs.length;
  const r = new Float64Array(n);
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const own = runs[i]!;
    // a + b − 2·own has 6 times a count's variance when the three are Poisson around a line.
    const band = 4 * Math.sqrt(6 * Math.max(own, 1));
    let sr = 0;
    let sc = 0;
    let k = 0;
    sr += own;
    sc += cpuSeconds[i]!;
    k++;
    for (let d = 1; d <= half; d++) {
      if (i - d < 0 || i + d >= n) break;
      const a = runs[i - d]!;
      const b = runs[i + d]!;
      if (Math.abs(a + b - 2 * own) > band) continue;
      sr += a + b;
      sc += cpuSeconds[i - d]! + cpuSeconds[i + d]!;
      k += 2;
    }
    r[i] = sr / k;
    c[i] = sc / k;
  }
  return { runs: r, cpuSeconds: c };
}
