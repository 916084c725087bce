/**
 * How far demand has recently come in above the forecast, as a relative
 * margin the scaler sizes the forecast up by: a robust one-sided bound of
 * actual / forecast − 1 over recent minutes, median + z·σ with σ from the
 * median absolute deviation. It tracks how good the forecast has actually
 * been (an empirical prediction interval, not a fixed percentage), and a
 * short surprise — which the reactive floor answers — does not inflate it
 * for the hours after, as a plain high quantile would.
 */
export function forecastMargin(pairs: readonly { forecast: number; actual: number }[], z = 2.33): number {
  const ratios: number[] = [];
  for (const p of pairs) if (p.forecast > 0 && p.actual >= 0) ratios.push(p.actual / p.forecast - 1);
  if (ratios.length < 10) return 0;
  const med = median(ratios);
  const mad = 1.4826 * median(ratios.map((r) => Math.abs(r - med)));
  return Math.max(0, med + z * mad);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
