import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Consumer } from 'kafkajs';
import { CONSUMER_FETCH_LIMITS, topics } from '../../topics/catalog';
import { decodeValue } from '../../topics/codec';
import { connectionSettings } from '../../topics/ground/connections';
import { operatorToken } from '../../topics/ground/operator-token';
import { paths } from '../../topics/ground/paths';
import { sleep } from '../../topics/ground/retry';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import type { RunResultRecord } from '../../topics/types';
import { startFleetService } from '../fleet/service';
import { fleetSettings } from '../fleet/settings';
import { r1, summarize } from '../load/stats';
import { startGatewayProcess } from '../services/processes';
import { stopService } from '../services/launcher';
import type { ReportSection } from './section';

/**
 * `bench fleet`: a fleet manager (local actuator) and a gateway of this tree on
 * bench ports, clients looping short runs through the REST API, and a series of
 * scale events (1 → 2 → 3 → 2 → 1 …). Measured: the time from each scale-out
 * decision to the new member ready (consuming its partitions) and to the first
 * result it publishes; the time from each scale-in decision to the drained
 * member stopped, with the runs it held; and every run's results on
 * runs.results (lost: accepted, no result; duplicated: more than one).
 */
const PORT = 18380;
const HW = 'x86_64';
const PROGRAMS = [
  { language: 'python', code: 'import time\ntime.sleep(0.4)\nprint("ok")\n' },
  { language: 'javascript', code: 'setTimeout(() => console.log("ok"), 400);\n' },
];

type Run = { runId: string; httpStatus: number; status: string };

export async function benchFleet(opts: { events?: number; clients?: number; onProgress?: (m: string) => void }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const events = opts.events ?? 20;
  const clients = opts.clients ?? 6;
  const s = connectionSettings();
  const kafka = createKafka(s.brokers, 'conveyor-bench-fleet');
  const registry = createRegistry({ url: s.registryUrl });
  const logDir = path.join(paths().state, 'bench-fleet');
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn', GATEWAY_PORT: String(PORT), ANALYTICS_URL: `http://127.0.0.1:${PORT + 10}`, RATE_RUNS_PER_MINUTE: '1000000', RATE_RUNS_BURST: '100000',
    ADMISSION_MAX_WAIT_MS: '3600000', SYNC_RUN_TIMEOUT_MS: '300000', CONVEYOR_RUNTIMES_POOL_SIZE: '1', EXECUTOR_CONCURRENCY: '2', EXECUTOR_SESSION_TIMEOUT_MS: '6000',
  };
  const token = operatorToken({ configured: `bench-${randomUUID()}`, stateDir: os.tmpdir() });
  say('starting a gateway and a fleet manager with one x86_64 executor');
  const gateway = await startGatewayProcess({ logDir, port: PORT, name: `gateway-${PORT}`, env });
  const svc = await startFleetService({
    kafka, registry, token, logDir, executorEnv: env,
    settings: fleetSettings({ ...process.env, FLEET_PORT: String(PORT + 15), FLEET_DESIRED: `${HW}=1`, FLEET_CORES: '3', FLEET_START_TIMEOUT_MS: '120000', FLEET_DRAIN_TIMEOUT_MS: '150000' }),
  });
  const watcher: Consumer = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: `bench-fleet-${randomUUID()}`, maxWaitTimeInMs: 100 });
  try {
    await svc.converged(180000);
    // Every result published from now on, per run id, with who published it and when.
    const seen = new Map<string, { executorId: string; atMs: number }[]>();
    await watcher.connect();
    await watcher.subscribe({ topic: topics.results.name, fromBeginning: false });
    const joined = new Promise<void>((r) => watcher.on(watcher.events.GROUP_JOIN, () => r()));
    await watcher.run({
      eachMessage: async ({ message }) => {
        const d = await decodeValue<RunResultRecord>(registry, message.value, topics.results);
        if (d.ok) seen.set(d.value.runId, [...(seen.get(d.value.runId) ?? []), { executorId: d.value.executorId, atMs: Date.now() }]);
      },
    });
    await joined;

    const runs: Run[] = [];
    let loading = true;
    const loops = Array.from({ length: clients }, async (_, i) => {
      for (let k = 0; loading; k++) {
        const p = PROGRAMS[(i + k) % PROGRAMS.length]!;
        const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `bench-fleet-${i}` }, body: JSON.stringify(p) }).catch(() => null);
        const body = res ? ((await res.json().catch(() => ({}))) as { runId?: string; status?: string }) : {};
        runs.push({ runId: body.runId ?? '', httpStatus: res?.status ?? 0, status: body.status ?? 'no answer' });
        if (!res) await sleep(200);
      }
    });

    const view = () => svc.control.list().classes.find((c) => c.hardwareClass === HW)!;
    const settled = async (desired: number) => {
      const deadline = Date.now() + 240000;
      while (!(view().ready === desired && view().members.every((m) => m.state !== 'draining' && m.state !== 'starting'))) {
        if (Date.now() > deadline) throw new Error(`the fleet did not settle at ${desired} within 240 s`);
        await sleep(50);
      }
    };
    const sizes = [2, 3, 2, 1];
    const toReady: number[] = [];
    const toFirstRun: number[] = [];
    const toStopped: number[] = [];
    const heldAtDrain: number[] = [];
    await sleep(3000);
    for (let e = 0; e < events; e++) {
      const desired = sizes[e % sizes.length]!;
      const before = new Set(view().members.map((m) => m.memberId));
      const out = desired > view().desired;
      const inFlight = new Map(view().members.map((m) => [m.memberId, m.runsInFlight ?? 0]));
      const t0 = Date.now();
      await svc.control.setDesired(HW, desired, `bench: scale event ${e + 1} of ${events}`);
      await settled(desired);
      const history = svc.control.history({ hardwareClass: HW, limit: 200 }).filter((h) => h.timestampMs >= t0);
      if (out) {
        const added = view().members.find((m) => !before.has(m.memberId))!;
        const ready = history.find((h) => h.memberId === added.memberId && h.state === 'ready');
        if (ready) toReady.push(ready.timestampMs - t0);
        // Its first result: wait a little for it (its partitions may carry no load yet).
        const deadline = Date.now() + 10000;
        let first: number | undefined;
        while (first === undefined && Date.now() < deadline) {
          first = Math.min(...[...seen.values()].flat().filter((r) => r.executorId === added.memberId).map((r) => r.atMs));
          if (!Number.isFinite(first)) first = undefined;
          if (first === undefined) await sleep(100);
        }
        if (first !== undefined) toFirstRun.push(first - t0);
        say(`event ${e + 1}: scale-out to ${desired}, ready after ${ready ? ready.timestampMs - t0 : '?'} ms, first result after ${first !== undefined ? first - t0 : 'none in 10 s'} ms`);
      } else {
        const drained = history.find((h) => h.state === 'draining');
        const stopped = drained && history.find((h) => h.memberId === drained.memberId && (h.state === 'stopped' || h.state === 'failed'));
        if (stopped) toStopped.push(stopped.timestampMs - t0);
        if (drained) heldAtDrain.push(inFlight.get(drained.memberId!) ?? 0);
        say(`event ${e + 1}: scale-in to ${desired}, ${drained?.memberId} held ${drained ? inFlight.get(drained.memberId!) ?? 0 : '?'} runs, stopped after ${stopped ? stopped.timestampMs - t0 : '?'} ms`);
      }
      await sleep(1500);
    }
    loading = false;
    say('waiting for the last runs');
    await Promise.all(loops);
    await sleep(3000);

    const answered = runs.filter((r) => r.runId);
    const lost = answered.filter((r) => !seen.has(r.runId)).length + runs.filter((r) => !r.runId).length;
    const duplicated = answered.filter((r) => (seen.get(r.runId)?.length ?? 0) > 1).length;
    const failed = answered.filter((r) => r.status !== 'ok').length;
    const ready = summarize(toReady);
    const firstRun = summarize(toFirstRun);
    const drain = summarize(toStopped);
    return {
      name: 'fleet',
      tables: [
        {
          title: `Scale events under load (${events} events 1 → 2 → 3 → 2 → 1 …, ${clients} clients looping 0.4 s Python and JavaScript runs over REST, 2 slots per executor)`,
          columns: ['measure', 'events', 'p50 ms', 'p99 ms', 'max ms'],
          rows: [
            ['scale-out decision → new member ready (consuming)', toReady.length, r1(ready.p50), r1(ready.p99), r1(ready.max)],
            ['scale-out decision → first result from the new member', toFirstRun.length, r1(firstRun.p50), r1(firstRun.p99), r1(firstRun.max)],
            [`scale-in decision → drained member stopped (held ${heldAtDrain.join('/')} runs)`, toStopped.length, r1(drain.p50), r1(drain.p99), r1(drain.max)],
          ],
        },
        {
          title: 'Runs across the scale events (results counted on runs.results per run id)',
          columns: ['runs', 'lost', 'duplicated', 'not ok'],
          rows: [[runs.length, lost, duplicated, failed]],
        },
      ],
      samples: { 'scale-out to ready ms': toReady, 'scale-out to first result ms': toFirstRun, 'scale-in to stopped ms': toStopped },
    };
  } finally {
    await watcher.disconnect().catch(() => {});
    await svc.stop();
    await stopService(gateway);
  }
}
