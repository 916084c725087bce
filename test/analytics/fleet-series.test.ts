import { fleetSeries } from '../../analytics/fleet-queries';
import { migrate } from '../../analytics/migrations';
import { fleetRow, runRow } from '../../analytics/rows';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import type { FleetEvent } from '../../topics/types';
import { runResult, tmpDir } from './fixtures';

/** Fleet size per class over time next to demand, from fleet_events and usage_per_minute on the real engine. */
const T0 = Date.UTC(2026, 0, 12, 9, 0, 0);
const MIN = 60_000;
let wh: Warehouse;

const event = (i: number, at: number, o: Partial<FleetEvent>): FleetEvent => ({
  eventId: `fs-${i}`, timestampMs: at, kind: 'desired_changed', hardwareClass: 'x86_64', memberId: null, state: null, previousState: null,
  desired: null, actual: null, min: null, max: null, applied: true, reason: 'test', actor: 'operator', inputsJson: null, managerId: 'fm', ...o,
});

beforeAll(async () => {
  wh = await openWarehouse({ dataDir: tmpDir('fleet-series-ch') });
  await migrate(wh);
  const o = (offset: number) => ({ topic: 'ops.fleet', partition: 0, offset });
  await wh.insert('fleet_events', [
    fleetRow(event(0, T0 - 10 * MIN, { desired: 1, actual: 1 }), o(0)),
    fleetRow(event(1, T0 + 2 * MIN, { desired: 3, actual: 1 }), o(1)),
    fleetRow(event(2, T0 + 3 * MIN, { kind: 'member_state', state: 'ready', actual: 3, desired: 3 }), o(2)),
    // A decision only observed does not change the size.
    fleetRow(event(3, T0 + 4 * MIN, { kind: 'scale_decision', desired: 9, applied: false }), o(3)),
  ]);
  await wh.insert('runs', [0, 1, 2, 3, 4].map((i) => runRow(runResult('fs', i, { at: T0 + 3 * MIN + i * 1000, hardwareClass: 'x86_64' }), { topic: 'runs.results', partition: 0, offset: i })));
});
afterAll(async () => {
  await wh?.close();
});

describe('fleet series', () => {
  it('carries the size forward per minute, takes the largest within a minute, ignores observed decisions and puts the runs beside it', async () => {
    const points = await fleetSeries(wh, { fromMs: T0, toMs: T0 + 5 * MIN, stepSeconds: 60 });
    const x86 = points.filter((p) => p.hardwareClass === 'x86_64');
    expect(x86.map((p) => [(p.t - T0) / MIN, p.desired, p.actual, p.runs])).toEqual([
      [0, 1, 1, 0],
      [1, 1, 1, 0],
      [2, 3, 1, 0],
      [3, 3, 3, 5],
      [4, 3, 3, 0],
    ]);
  });
});
