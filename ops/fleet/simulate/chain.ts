/**
 * The distribution of the number of runs in one class's system (waiting or in
 * service), as a birth–death chain: arrivals at the minute's rate λ, each of
 * the min(n, c) runs in service done at rate 1/S (M/M/c with the minute's
 * arrivals and the mean service time of the runs in the system). The chain
 * lives on a band of states around where its mass is, in cells of g states
 * (g = 1 while the band holds at most `maxCells` states: the chain itself;
 * wider, at seed scale, each cell of g states moves by the Scharfetter–Gummel
 * rates of the chain's diffusion approximation, which keep its drift λ − μ(n)
 * and its variance rate λ + μ(n) and never go negative). Stepped through the
 * minute by uniformisation (exact, never negative; its cost follows the chain's fastest
 * rate, which lumping lowers as 1/g²).
 */
export interface ChainDist {
  /** First state of cell 0; cell i holds the states lo + i·g … lo + (i + 1)·g − 1. */
  lo: number;
  g: number;
  p: Float64Array;
}

export interface ChainOptions {
  /** Cells at most; a band wider than this is lumped into cells of g > 1 states. */
  maxCells: number;
}
export const defaultChainOptions: ChainOptions = { maxCells: 128 };

/** Poisson(mean) on cells: the pmf by its ratio recursion from the mode outwards, summed per cell, normalised on the band. */
export function poissonCells(mean: number, lo: number, g: number, cells: number): ChainDist {
  const p = new Float64Array(cells);
  const hi = lo + g * cells - 1;
  if (mean <= 0) {
    p[0] = 1;
    return { lo, g, p };
  }
  const mode = Math.min(hi, Math.max(lo, Math.floor(mean)));
  let v = 1;
  let sum = 0;
  for (let n = mode; n <= hi && v > 1e-300; n++) {
    p[Math.floor((n - lo) / g)]! += v;
    sum += v;
    v *= mean / (n + 1);
  }
  v = 1;
  for (let n = mode - 1; n >= lo; n--) {
    v *= (n + 1) / mean;
    if (v < 1e-300) break;
    p[Math.floor((n - lo) / g)]! += v;
    sum += v;
  }
  for (let i = 0; i < cells; i++) p[i]! /= sum;
  return { lo, g, p };
}

/** The same distribution on other cells: each old cell's mass spread evenly over its states; states outside go to the end cells. */
export function rebin(d: ChainDist, lo: number, g: number, cells: number): ChainDist {
  if (d.lo === lo && d.g === g && d.p.length === cells) return d;
  const p = new Float64Array(cells);
  const end = lo + g * cells;
  for (let j = 0; j < d.p.length; j++) {
    const m = d.p[j]!;
    if (m <= 0) continue;
    let a = d.lo + j * d.g;
    const b = a + d.g;
    const perState = m / d.g;
    if (a < lo) {
      p[0]! += perState * (Math.min(b, lo) - a);
      a = lo;
    }
    while (a < b && a < end) {
      const i = Math.floor((a - lo) / g);
      const cellEnd = Math.min(b, lo + (i + 1) * g);
      p[i]! += perState * (cellEnd - a);
      a = cellEnd;
    }
    if (a < b) p[cells - 1]! += perState * (b - a);
  }
  return { lo, g, p };
}

export interface ChainMoments { mean: number; variance: number; busy: number; queued: number; pAtLeast: number }

/** Mean, variance, E[min(N, c)], E[(N − c)⁺] and P(N ≥ c); a cell's mass is spread evenly over its states. */
export function moments(d: ChainDist, c: number): ChainMoments {
  let mean = 0;
  let second = 0;
  let busy = 0;
  let queued = 0;
  let pAtLeast = 0;
  const within = (d.g * d.g - 1) / 12; // variance of a uniform over the g states of a cell
  for (let i = 0; i < d.p.length; i++) {
    const m = d.p[i]!;
    if (m <= 0) continue;
    const a = d.lo + i * d.g;
    const mid = a + (d.g - 1) / 2;
    mean += m * mid;
    second += m * (mid * mid + within);
    if (a >= c) {
      busy += m * c;
      queued += m * (mid - c);
      pAtLeast += m;
    } else if (a + d.g <= c) busy += m * mid;
    else {
      // Only when the cells are not aligned on c (c below the band's first state cannot happen: see bandFor).
      const k = c - a; // states a … c − 1 below, c … a + g − 1 at or above
      busy += (m / d.g) * ((k * (a + c - 1)) / 2 + (d.g - k) * c);
      queued += (m / d.g) * (((d.g - k) * (d.g - k - 1)) / 2);
      pAtLeast += (m / d.g) * (d.g - k);
    }
  }
  return { mean, variance: Math.max(0, second - mean * mean), busy, queued, pAtLeast };
}

const bern = (x: number) => (Math.abs(x) < 1e-8 ? 1 - x / 2 : x / Math.expm1(x));

/**
 * Rates between neighbouring cells: up[i] from cell i to i + 1, down[i] from
 * cell i to i − 1 (none out of the band: its ends reflect, so no mass is lost).
 */
export function chainRates(d: { lo: number; g: number; cells: number }, lambda: number, service: number, c: number): { up: Float64Array; down: Float64Array } {
  const { lo, g, cells } = d;
  const up = new Float64Array(cells);
  const down = new Float64Array(cells);
  const mu = (n: number) => Math.min(n, c) / service;
  if (g === 1) {
    for (let i = 0; i < cells; i++) {
      if (i < cells - 1) up[i] = lambda;
      if (i > 0) down[i] = mu(lo + i);
    }
    return { up, down };
  }
  for (let i = 0; i < cells - 1; i++) {
    // The interface between cell i and i + 1 at state b: drift λ − μ(b), diffusion (λ + μ(b))/2.
    const b = lo + (i + 1) * g;
    const drift = lambda - mu(b);
    const diff = (lambda + mu(b)) / 2;
    if (diff <= 0) continue;
    const peclet = (drift * g) / diff;
    up[i] = (diff / (g * g)) * bern(-peclet);
    down[i + 1] = (diff / (g * g)) * bern(peclet);
  }
  return { up, down };
}

/**
 * Advances the distribution by `seconds` by uniformisation: with L the
 * largest rate out of a cell and P = I + Q/L, p(t) = Σₖ Poisson(k; Lt)·pPᵏ,
 * exact and never negative; the same pass gives the time-average over the
 * interval, Σₖ P(Poisson(Lt) > k)/(Lt)·pPᵏ (what Poisson arrivals see).
 */
export function advance(p: Float64Array, rates: { up: Float64Array; down: Float64Array }, seconds: number): { end: Float64Array; average: Float64Array } {
  const n = p.length;
  const { up, down } = rates;
  let L = 0;
  for (let i = 0; i < n; i++) L = Math.max(L, up[i]! + down[i]!);
  if (L <= 0 || seconds <= 0) return { end: Float64Array.from(p), average: Float64Array.from(p) };
  const lt = L * seconds;
  const K = Math.ceil(lt + 8 * Math.sqrt(lt) + 10);
  // Poisson(Lt) weights from the mode outwards (e^{−Lt} alone underflows past Lt ≈ 700), normalised.
  const w = new Float64Array(K + 1);
  const mode = Math.min(K, Math.floor(lt));
  w[mode] = 1;
  for (let k = mode + 1; k <= K; k++) w[k] = (w[k - 1]! * lt) / k;
  for (let k = mode - 1; k >= 0; k--) w[k] = (w[k + 1]! * (k + 1)) / lt;
  let total = 0;
  for (let k = 0; k <= K; k++) total += w[k]!;
  const stay = new Float64Array(n);
  const upL = new Float64Array(n);
  const downL = new Float64Array(n);
  for (let i = 0; i < n; i++) (stay[i] = 1 - (up[i]! + down[i]!) / L), (upL[i] = up[i]! / L), (downL[i] = down[i]! / L);
  const end = new Float64Array(n);
  const average = new Float64Array(n);
  let v = Float64Array.from(p);
  let next = new Float64Array(n);
  let above = 1; // P(Poisson(Lt) > k − 1)
  for (let k = 0; k <= K; k++) {
    const pk = w[k]! / total;
    above -= pk;
    const ak = Math.max(0, above) / lt;
    for (let i = 0; i < n; i++) (end[i]! += pk * v[i]!), (average[i]! += ak * v[i]!);
    if (k === K) break;
    for (let i = 0; i < n; i++) next[i] = stay[i]! * v[i]! + (i > 0 ? upL[i - 1]! * v[i - 1]! : 0) + (i < n - 1 ? downL[i + 1]! * v[i + 1]! : 0);
    [v, next] = [next, v];
  }
  normalise(end);
  normalise(average);
  return { end, average };
}

function normalise(p: Float64Array): void {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  if (s > 0) for (let i = 0; i < p.length; i++) p[i]! /= s;
}

/**
 * The band for a minute: the states the chain can reach from `from` (its
 * mean and variance) in 60 s at rate λ, service S and c slots, ± 8 standard
 * deviations, found by stepping the mean and variance of a Gaussian through
 * the minute (an estimate for the band only). Cells are aligned on c, so each
 * is wholly below c or wholly at or above it.
 */
export function bandFor(from: { mean: number; variance: number; first: number; last: number }, lambda: number, service: number, c: number, o: ChainOptions): { lo: number; g: number; cells: number } {
  let x = from.mean;
  let v = from.variance;
  let xmin = x;
  let xmax = x;
  let vmax = v;
  for (let t = 0; t < 60; t++) {
    // 1 s steps, each relaxing exactly below the slots (stable for any S), a fluid queue above them.
    const decay = Math.exp(-1 / service);
    const mu = Math.min(x, c) / service;
    if (x + 3 * Math.sqrt(v) < c) {
      const vt = ((lambda + mu) * service) / 2;
      v = vt + (v - vt) * decay * decay;
    } else v += lambda + mu;
    if (x < c) x = lambda * service + (x - lambda * service) * decay;
    else x = Math.max(Math.min(x, lambda * service), x + lambda - c / service);
    xmin = Math.min(xmin, x);
    xmax = Math.max(xmax, x);
    vmax = Math.max(vmax, v);
  }
  const spread = 8 * Math.sqrt(vmax) + 8;
  let lo = Math.max(0, Math.floor(Math.min(from.first, xmin - spread)));
  const hi = Math.ceil(Math.max(from.last, xmax + spread));
  const g = Math.max(1, Math.ceil((hi - lo + 1) / o.maxCells));
  // Align on c: lo ≡ c (mod g), not above the wanted lo, not below 0.
  if (g > 1) {
    lo = c - g * Math.ceil((c - lo) / g);
    if (lo < 0) lo += g * Math.ceil(-lo / g);
  }
  return { lo, g, cells: Math.max(2, Math.ceil((hi - lo + 1) / g)) };
}

/** First and last state that hold mass. */
export function support(d: ChainDist): { first: number; last: number } {
  let i = 0;
  while (i < d.p.length - 1 && d.p[i]! <= 1e-15) i++;
  let j = d.p.length - 1;
  while (j > i && d.p[j]! <= 1e-15) j--;
  return { first: d.lo + i * d.g, last: d.lo + (j + 1) * d.g - 1 };
}

/**
 * P(Poisson(Λ) ≤ r) for whole r, as a function: exact (the pmf by recursion
 * on the window Λ ± 12√Λ + 10, outside which it is 0 or 1) for Λ ≤ 200, else
 * the normal approximation with continuity and skewness corrections
 * (Edgeworth's first term); linear between whole r (a cell's mean position).
 */
export function poissonCdf(lambda: number): (r: number) => number {
  if (lambda <= 0) return (r) => (r >= 0 ? 1 : 0);
  if (lambda > 200) {
    const s = Math.sqrt(lambda);
    return (r) => {
      if (r < 0) return 0;
      const z = (r + 0.5 - lambda) / s;
      const f = normalCdf(z) - (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * ((z * z - 1) / (6 * s));
      return Math.min(1, Math.max(0, f));
    };
  }
  const w = 12 * Math.sqrt(lambda) + 10;
  const jlo = Math.max(0, Math.floor(lambda - w));
  const jhi = Math.ceil(lambda + w);
  const pmf = new Float64Array(jhi - jlo + 1);
  const mode = Math.floor(lambda);
  pmf[mode - jlo] = 1;
  for (let j = mode + 1; j <= jhi; j++) pmf[j - jlo] = (pmf[j - 1 - jlo]! * lambda) / j;
  for (let j = mode - 1; j >= jlo; j--) pmf[j - jlo] = (pmf[j + 1 - jlo]! * (j + 1)) / lambda;
  let sum = 0;
  for (let j = 0; j < pmf.length; j++) sum += pmf[j]!;
  const cdf = new Float64Array(pmf.length);
  let acc = 0;
  for (let j = 0; j < pmf.length; j++) cdf[j] = (acc += pmf[j]! / sum);
  return (r) => {
    if (r < jlo) return 0;
    if (r >= jhi) return 1;
    const k = Math.floor(r);
    const f = r - k;
    const a = cdf[k - jlo]!;
    return f > 0 ? a + f * (cdf[k + 1 - jlo]! - a) : a;
  };
}

/**
 * Φ(z), through erfc by its Chebyshev fit (Numerical Recipes' erfcc, relative
 * error under 1.2·10⁻⁷ everywhere, so the tails hold too). By hand: the
 * registry's erfc brings some 130 packages along.
 */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-x * x + poly);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}
