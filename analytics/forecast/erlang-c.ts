/**
 * Erlang C (M/M/c) sizing, written here because it is a few lines and no
 * maintained npm package offers it. With offered load a = λ·S Erlangs on c
 * servers, the probability that an arrival waits is
 *   C(c, a) = c·B(c, a) / (c − a·(1 − B(c, a)))
 * where B is Erlang B, from the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)),
 * and the wait exceeds t with probability C · exp(−(c − a)·t / S). For a
 * service time that is not exponential, the wait is scaled by (1 + cv²)/2
 * (the Allen–Cunneen approximation for M/G/c).
 */
export interface Load { arrivalsPerSecond: number; serviceSeconds: number; serviceCv2?: number }

/** Probability that the wait exceeds `t` seconds with `c` servers (1 when c ≤ a: the queue grows without bound). */
export function waitExceeds(c: number, load: Load, t: number): number {
  const a = load.arrivalsPerSecond * load.serviceSeconds;
  if (a <= 0) return 0;
  if (c <= a) return 1;
  const b = erlangB(c, a);
  const pWait = (c * b) / (c - a * (1 - b));
  return Math.min(1, pWait * Math.exp((-(c - a) * t) / (load.serviceSeconds * scale(load))));
}

/** The wait that a share `q` of arrivals stays under (seconds), Infinity when c ≤ a. */
export function waitQuantile(c: number, load: Load, q: number): number {
  const a = load.arrivalsPerSecond * load.serviceSeconds;
  if (a <= 0) return 0;
  if (c <= a) return Infinity;
  const b = erlangB(c, a);
  const pWait = (c * b) / (c - a * (1 - b));
  if (pWait <= 1 - q) return 0;
  return (Math.log(pWait / (1 - q)) * load.serviceSeconds * scale(load)) / (c - a);
}

/** Mean wait in seconds (Infinity when c ≤ a). */
export function meanWait(c: number, load: Load): number {
  const a = load.arrivalsPerSecond * load.serviceSeconds;
  if (a <= 0) return 0;
  if (c <= a) return Infinity;
  const b = erlangB(c, a);
  const pWait = (c * b) / (c - a * (1 - b));
  return (pWait * load.serviceSeconds * scale(load)) / (c - a);
}

/**
 * The fewest servers for which at most a share 1 − q of arrivals waits more
 * than `objectiveSeconds` (e.g. q = 0.99, 1 s: p99 wait ≤ 1 s).
 */
export function serversFor(load: Load, objectiveSeconds: number, q: number): number {
  const a = load.arrivalsPerSecond * load.serviceSeconds;
  if (a <= 0) return 0;
  const s = load.serviceSeconds * scale(load);
  // Start the recursion below a, where it forgets its starting value (each step shrinks an error by k/a < 1),
  // so a load of 20,000 Erlangs costs a few thousand steps rather than 20,000.
  const k0 = Math.max(0, Math.floor(a - 10 * Math.sqrt(a) - 10));
  let b = k0 === 0 ? 1 : Math.max(1e-12, 1 - k0 / a);
  for (let k = k0 + 1; ; k++) {
    b = (a * b) / (k + a * b);
    if (k <= a) continue;
    const pWait = (k * b) / (k - a * (1 - b));
    if (pWait * Math.exp((-(k - a) * objectiveSeconds) / s) <= 1 - q) return k;
  }
}

/** Probability that an arrival waits at all (Erlang C), 1 when c ≤ a. */
export function probabilityOfWait(c: number, a: number): number {
  if (a <= 0) return 0;
  if (c <= a) return 1;
  const b = erlangB(c, a);
  return (c * b) / (c - a * (1 - b));
}

function erlangB(c: number, a: number): number {
  const k0 = Math.max(0, Math.min(c, Math.floor(a - 10 * Math.sqrt(a) - 10)));
  let b = k0 === 0 ? 1 : Math.max(1e-12, 1 - k0 / a);
  for (let k = k0 + 1; k <= c; k++) {
    b = (a * b) / (k + a * b);
    // Far above the load B falls faster than geometrically; below 1e-15 it is 0 for every use here.
    if (b < 1e-15) return 0;
  }
  return b;
}

const scale = (l: Load) => (1 + (l.serviceCv2 ?? 1)) / 2;
