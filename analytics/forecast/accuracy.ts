/**
 * Forecast accuracy by horizon: MAPE (mean |forecast − actual| / actual over
 * minutes with demand) and the under-forecast rate (share of minutes where the
 * forecast was below what came), the figure a scaler cares about most since an
 * under-forecast is queue wait and an over-forecast only idle machines.
 */
export interface HorizonAccuracy { fromMinutes: number; toMinutes: number; mape: number; underRate: number; samples: number }

/** One issued forecast: point[i] is for minute start + i. */
export interface IssuedForecast { start: number; point: readonly number[] }

export const DEFAULT_HORIZON_EDGES = [0, 15, 30, 60, 120, 180];

/**
 * `actual(minute)` returns the observed value or undefined when unknown.
 * Horizon h counts minutes after issue (point[0] is horizon 0).
 */
export function accuracyByHorizon(
  forecasts: Iterable<IssuedForecast>,
  actual: (minute: number) => number | undefined,
  edges: readonly number[] = DEFAULT_HORIZON_EDGES,
): HorizonAccuracy[] {
  const acc = edges.slice(0, -1).map((from, i) => ({ fromMinutes: from, toMinutes: edges[i + 1]!, ape: 0, under: 0, samples: 0 }));
  for (const f of forecasts) {
    for (const a of acc) {
      for (let h = a.fromMinutes; h < Math.min(a.toMinutes, f.point.length); h++) {
        const y = actual(f.start + h);
        if (y === undefined || y <= 0) continue;
        const p = f.point[h]!;
        a.ape += Math.abs(p - y) / y;
        if (p < y) a.under++;
        a.samples++;
      }
    }
  }
  return acc.map((a) => ({ fromMinutes: a.fromMinutes, toMinutes: a.toMinutes, mape: a.samples ? a.ape / a.samples : NaN, underRate: a.samples ? a.under / a.samples : NaN, samples: a.samples }));
}
