/**
 * How many simulated people are active over the run, as a fraction of
 * --users. "flat" ramps up linearly then holds; "day" compresses one day into
 * the run: a quiet night and a peak window that holds PEAK_SHARE of all the
 * day's user-time inside PEAK_WIDTH of the day (80% in 20% by default,
 * matching ~1M daily users with 80% in a 4-hour peak).
 */
export type CurveKind = 'flat' | 'day';

export const PEAK_SHARE = 0.8;
export const PEAK_WIDTH = 0.2;
/** Peak centred in the afternoon/evening of the simulated day. */
export const PEAK_CENTER = 0.65;
/** Share of the peak window spent ramping on each side (cosine). */
const EDGE = 0.25;

/** Plateau of height 1 over [0, 1] with cosine edges; its integral is 1 - EDGE. */
function plateau(u: number): number {
  if (u <= 0 || u >= 1) return 0;
  if (u < EDGE) return 0.5 - 0.5 * Math.cos((Math.PI * u) / EDGE);
  if (u > 1 - EDGE) return 0.5 - 0.5 * Math.cos((Math.PI * (1 - u)) / EDGE);
  return 1;
}

/**
 * Off-peak level L chosen so the window holds exactly PEAK_SHARE:
 * (w·L + (1-L)·P) / (L + (1-L)·P) = s, with P = w·(1-EDGE) the plateau area.
 */
export function offPeakLevel(share = PEAK_SHARE, width = PEAK_WIDTH): number {
  const P = width * (1 - EDGE);
  return ((1 - share) * P) / (share - width + (1 - share) * P);
}

/** Fraction of peak users active at day fraction x in [0, 1). */
export function dayShape(x: number, share = PEAK_SHARE, width = PEAK_WIDTH, center = PEAK_CENTER): number {
  const L = offPeakLevel(share, width);
  const start = center - width / 2;
  return L + (1 - L) * plateau((x - start) / width);
}

/** Target fraction of --users at tSec into a run of durationSec. */
export function activeFraction(kind: CurveKind, tSec: number, durationSec: number, rampSec: number): number {
  if (tSec < 0 || tSec >= durationSec) return 0;
  if (kind === 'day') return dayShape(tSec / durationSec);
  return rampSec > 0 ? Math.min(1, (tSec + 1) / rampSec) : 1;
}

export function parseCurve(s: string): CurveKind {
  if (s !== 'flat' && s !== 'day') throw new Error(`--curve must be flat or day, not "${s}"`);
  return s;
}
