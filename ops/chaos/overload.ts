import { summarize } from '../load/stats';
import { sleep } from '../../topics/ground/retry';
import type { ChaosRow } from './measure';
import { chaosStack } from './stack';

/**
 * Overload: REST runs sent at `factor` times the rate one executor with
 * `slots` slots can sustain (slots / runSeconds), for `seconds`. Admission
 * (producers/gateway/admission.ts) must keep the queue bounded: a run whose
 * expected wait is above ADMISSION_MAX_WAIT_MS gets 429 with Retry-After
 * before anything is sent; every admitted run is answered, within the bound
 * plus its own time (the latency objective here).
 */
export interface OverloadOptions {
  factor: number; seconds: number; slots: number; runSeconds: number; maxWaitMs: number;
  /** The executor's local queue (EXECUTOR_QUEUE, default 64). Below what the wait bound admits, the rest waits in Kafka: admission must count it. */
  queue?: number;
  onProgress?: (m: string) => void;
}

export interface OverloadRow extends ChaosRow {
  sent: number;
  admitted: number;
  refused429: number;
  refusedWithoutRetryAfter: number;
  otherStatuses: Record<string, number>;
  maxQueueDepth: number;
  queueBound: number;
  /** Most requests seen waiting in Kafka behind the full local queue (executors.load backlog). */
  maxBacklog: number;
  /** Runs the wait bound lets wait at the run's own length: maxWaitMs × slots / run time. */
  admittedWaitingBound: number;
  admittedP99Ms: number;
  objectiveMs: number;
}

export async function overload(o: OverloadOptions): Promise<OverloadRow> {
  const say = o.onProgress ?? (() => undefined);
  const queue = o.queue ?? 64;
  const stack = chaosStack({ env: { EXECUTOR_CONCURRENCY: String(o.slots), EXECUTOR_QUEUE: String(queue), ADMISSION_MAX_WAIT_MS: String(o.maxWaitMs), SYNC_RUN_TIMEOUT_MS: '120000' }, onProgress: say });
  try {
    // The gateway needs no executor to start: both at once.
    await Promise.all([stack.executor('x86_64'), stack.gateway()]);
    const url = stack.url();
    const code = `import time\ntime.sleep(${o.runSeconds})\nprint("ok")\n`;
    const post = () => fetch(`${url}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code }), signal: AbortSignal.timeout(180_000) });
    // The executor's first runs are slower (warm pools fill): a few before the clock starts.
    for (let i = 0; i < o.slots; i++) await (await post()).text();
    const sustainable = o.slots / o.runSeconds;
    const rate = sustainable * o.factor;
    say(`sending ${rate.toFixed(1)} runs/s (${o.factor}× the ${sustainable.toFixed(1)} runs/s of ${o.slots} slots) for ${o.seconds} s`);
    let maxQueueDepth = 0;
    let maxBacklog = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
        for (const m of text.matchAll(/^conveyor_queue_depth\{[^}]*hardware_class="x86_64"[^}]*\} (\d+)/gm)) maxQueueDepth = Math.max(maxQueueDepth, Number(m[1]));
        for (const m of text.matchAll(/^conveyor_backlog\{[^}]*hardware_class="x86_64"[^}]*\} (\d+)/gm)) maxBacklog = Math.max(maxBacklog, Number(m[1]));
        await sleep(250);
      }
    })();
    const outcomes: Promise<{ status: number; retryAfter: string | null; ms: number; runStatus?: string; lost?: boolean; reason?: string }>[] = [];
    const t0 = performance.now();
    const total = Math.round(rate * o.seconds);
    for (let i = 0; i < total; i++) {
      const due = (i / rate) * 1000 - (performance.now() - t0);
      if (due > 0) await sleep(due);
      const sent = performance.now();
      outcomes.push(
        post().then(
          async (res) => {
            const body = (await res.json().catch(() => ({}))) as { status?: string };
            return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - sent, runStatus: body.status };
          },
          // No answer at all: the reason (undici's cause code, e.g. UND_ERR_SOCKET or ECONNRESET) names the row's key.
          (e: Error & { cause?: { code?: string } }) => ({ status: 0, retryAfter: null, ms: performance.now() - sent, lost: true, reason: e.cause?.code ?? e.name }),
        ),
      );
    }
    const done = await Promise.all(outcomes);
    polling = false;
    await poller;
    const admitted = done.filter((d) => d.status === 200);
    const refused = done.filter((d) => d.status === 429);
    const other: Record<string, number> = {};
    for (const d of done.filter((x) => x.status !== 200 && x.status !== 429)) {
      const key = d.reason ? `${d.status} ${d.reason}` : String(d.status);
      other[key] = (other[key] ?? 0) + 1;
    }
    const p99 = summarize(admitted.map((d) => d.ms)).p99;
    const objectiveMs = o.maxWaitMs + o.runSeconds * 1000 + 5000;
    const admittedWaitingBound = Math.ceil((o.maxWaitMs * o.slots) / (o.runSeconds * 1000));
    return {
      scenario: 'overload', faults: 0, runs: admitted.length, runsLost: done.filter((d) => d.lost || d.status >= 500).length, duplicates: 0, editsLost: 0,
      failed: admitted.filter((d) => d.runStatus !== 'ok').length, refused: refused.length, recoveryMs: null, affectedP99Ms: p99, affectedRuns: admitted.length,
      note: `${o.factor}× ${sustainable.toFixed(1)} runs/s for ${o.seconds} s: ${admitted.length} admitted, ${refused.length} got 429 (${refused.filter((d) => !d.retryAfter).length} without Retry-After); queue ≤ ${maxQueueDepth} (bound ${o.slots + queue}), in Kafka ≤ ${maxBacklog}; admitted p99 ${(p99 / 1000).toFixed(1)} s (objective ${(objectiveMs / 1000).toFixed(1)} s)`,
      sent: done.length, admitted: admitted.length, refused429: refused.length, refusedWithoutRetryAfter: refused.filter((d) => !d.retryAfter || !(Number(d.retryAfter) > 0)).length,
      otherStatuses: other, maxQueueDepth, queueBound: o.slots + queue, maxBacklog, admittedWaitingBound, admittedP99Ms: p99, objectiveMs,
    };
  } finally {
    await stack.stopAll();
  }
}
