import type { Consumer, Kafka } from 'kafkajs';
import { topics } from '../../topics/catalog';
import { decodeValue, type Decoded } from '../../topics/codec';
import { sleep } from '../../topics/ground/retry';
import { liveConsumerConfig } from '../../topics/consumer-retry';
import { runKeptAlive } from '../../topics/keep-running';
import type { Registry } from '../../topics/registry';
import type { ExecutorLoad } from '../../topics/types';
import { ApiError } from './errors';

/**
 * Admission with an honest wait (docs/decisions/scheduling-admission.md).
 * Executors publish their queue on `executors.load` (positions, predictions,
 * when a run queued behind everything would start); the gateway keeps the
 * latest report of each and, for a new run, looks up the executor that owns
 * its partition. Beyond ADMISSION_MAX_WAIT_MS the run is refused with 429 and
 * a Retry-After of when the wait should be back under the bound; below it the
 * run is sent and its listeners hear `queued` positions from the same reports.
 */
export interface AdmissionOptions {
  maxWaitMs: number;
  /** A report older than this is not trusted (its executor may be gone). */
  staleMs: number;
  /** Predicted cost of a run the gateway sent that no report shows yet. */
  unreportedRunMs?: number;
}

interface Known { load: ExecutorLoad; receivedAt: number }

/** The pure part: reports in, expected waits out (a spec drives it with hand-made reports). */
export function createAdmissionView(opts: AdmissionOptions) {
  const latest = new Map<string, Known>();
  // Runs sent since the owner's last report, which that report could not show yet.
  const unreported = new Map<string, number[]>();

  function ownerOf(hardwareClass: string, partition: number, now: number): Known | undefined {
    let best: Known | undefined;
    for (const k of latest.values()) {
      if (k.load.hardwareClass !== hardwareClass || now - k.receivedAt > opts.staleMs || !k.load.partitions.includes(partition)) continue;
      if (!best || k.load.timestampMs > best.load.timestampMs) best = k;
    }
    return best;
  }

  return {
    observe(load: ExecutorLoad, now: number) {
      const prev = latest.get(load.executorId);
      if (prev && prev.load.timestampMs > load.timestampMs) return;
      latest.set(load.executorId, { load, receivedAt: now });
      const sent = unreported.get(load.executorId);
      if (sent) {
        // While requests wait in Kafka, the report shows the ones sent before its end offsets were read, not since.
        const waitsInKafka = (load.backlog ?? 0) > 0 || load.queued >= load.capacity;
        const shownUpTo = waitsInKafka && load.backlogAtMs ? Math.min(load.timestampMs, load.backlogAtMs) : load.timestampMs;
        const still = sent.filter((at) => at > shownUpTo);
        if (still.length) unreported.set(load.executorId, still);
        else unreported.delete(load.executorId);
      }
    },

    /** How long a run sent now to this partition is expected to wait for a slot (0 when nothing is known). */
    expectedWaitMs(hardwareClass: string, partition: number, now: number): number {
      const k = ownerOf(hardwareClass, partition, now);
      if (!k) return 0;
      const { load } = k;
      const perRun = load.queued ? load.queuedWorkMs / load.queued : (opts.unreportedRunMs ?? 200);
      // Runs sent since the report, and those the report saw waiting in Kafka behind the executor's full queue.
      const extra = ((unreported.get(load.executorId)?.length ?? 0) + (load.backlog ?? 0)) * perRun;
      return Math.max(0, load.timestampMs + load.drainMs - now) + extra / Math.max(1, load.concurrency);
    },

    /** Refuses (429) a run whose expected wait is beyond the bound; otherwise counts it as sent. */
    admit(hardwareClass: string, partition: number, now: number): number {
      const waitMs = this.expectedWaitMs(hardwareClass, partition, now);
      if (waitMs > opts.maxWaitMs) {
        const retryAfterS = Math.max(1, Math.ceil((waitMs - opts.maxWaitMs) / 1000));
        throw new ApiError(
          429, 'queue_full',
          `The executors of ${hardwareClass} are busy: a run sent now would wait about ${Math.ceil(waitMs / 1000)} s for a slot, above the bound of ${Math.round(opts.maxWaitMs / 1000)} s; retry in ${retryAfterS} s.`,
          retryAfterS,
        );
      }
      const k = ownerOf(hardwareClass, partition, now);
      if (k) unreported.set(k.load.executorId, [...(unreported.get(k.load.executorId) ?? []), now]);
      return waitMs;
    },

    /** The fresh reports, for /metrics. */
    reports(now: number): ExecutorLoad[] {
      return [...latest.values()].filter((k) => now - k.receivedAt <= opts.staleMs).map((k) => k.load);
    },
  };
}
export type AdmissionView = ReturnType<typeof createAdmissionView>;

/**
 * After a fetch that brought reports, the next one waits this long. Under load an executor
 * reports up to 20 times a second (50 ms apart, consumers/executor/scheduler/queue-report.ts),
 * and each fetch that carries one is a request the broker and this gateway handle; admission's
 * bound is counted in seconds, and the `queued` messages the reports feed go out at most once
 * a second (queued-updates.ts). Reports that arrive meanwhile come in the next fetch together.
 */
export const ADMISSION_FETCH_GAP_MS = 200;

/**
 * One fetch's reports, in order: every one to the view (it keeps each executor's newest), and
 * only each executor's newest to `onLoad`, since a later report of the same queue supersedes
 * the positions of an earlier one.
 */
export async function takeReports(
  values: (Buffer | null)[],
  deps: { decode: (v: Buffer | null) => Promise<Decoded<ExecutorLoad>>; view: Pick<AdmissionView, 'observe'>; onLoad?: (l: ExecutorLoad) => void; now: () => number; warn: (o: object, m?: string) => void },
) {
  const newest = new Map<string, ExecutorLoad>();
  for (const v of values) {
    const d = await deps.decode(v);
    // Even one the registry cannot decode for now: the executor's next report (a second later) replaces it,
    // and waiting for this one would hold the newer ones back.
    if (!d.ok) {
      deps.warn({ reason: d.reason }, 'executor load report skipped');
      continue;
    }
    deps.view.observe(d.value, deps.now());
    const seen = newest.get(d.value.executorId);
    if (!seen || seen.timestampMs <= d.value.timestampMs) newest.set(d.value.executorId, d.value);
  }
  for (const l of newest.values()) deps.onLoad?.(l);
}

/** Reads `executors.load` in a group of this gateway's own and feeds the view. */
export function createAdmission(deps: { kafka: Kafka; registry: Registry; gatewayId: string; options: AdmissionOptions; onLoad?: (l: ExecutorLoad) => void; logger: { warn(o: object, m?: string): void; error(o: object, m?: string): void }; fetchGapMs?: number }) {
  const view = createAdmissionView(deps.options);
  let consumer: Consumer | undefined;
  let stopping = false;
  const take = { decode: (v: Buffer | null) => decodeValue(deps.registry, v, topics.load), view, onLoad: deps.onLoad, now: Date.now, warn: (o: object, m?: string) => deps.logger.warn(o, m) };
  return {
    view,
    async start() {
      consumer = deps.kafka.consumer(liveConsumerConfig(`conveyor-gateway-load-${deps.gatewayId}`));
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.load.name], fromBeginning: false });
      // Nothing committed: a gateway wants the reports from now on, never old ones (and kafkajs's commit
      // after every batch cost the broker a write per report and held the next fetch for its answer).
      await runKeptAlive(consumer, {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          await takeReports(batch.messages.map((m) => m.value), take);
          if (!stopping) await sleep(deps.fetchGapMs ?? ADMISSION_FETCH_GAP_MS);
        },
      }, { name: 'admission', logger: deps.logger, stopped: () => stopping });
    },
    async stop() {
      stopping = true;
      await consumer?.disconnect();
    },
  };
}
