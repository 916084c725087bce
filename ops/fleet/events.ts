import { randomUUID } from 'node:crypto';
import { topics } from '../../topics/catalog';
import type { TypedProducer } from '../../topics/codec';
import type { FleetEvent } from '../../topics/types';

/**
 * Writes fleet events to `ops.fleet` (Avro; the analytics sink loads them into
 * ClickHouse `fleet_events`) and keeps the newest in memory for `fleet history`.
 * A write that fails is retried in order by the next one: the history on the
 * topic never skips an event and never reorders two.
 */
export type FleetEventInput = Partial<Omit<FleetEvent, 'eventId' | 'timestampMs' | 'managerId'>> & Pick<FleetEvent, 'kind' | 'hardwareClass' | 'reason'>;

export interface FleetEvents {
  record(e: FleetEventInput): FleetEvent;
  recent(o?: { hardwareClass?: string; limit?: number }): FleetEvent[];
  /** Resolves when every event recorded so far is on the topic (or rejects after the deadline). */
  flush(timeoutMs?: number): Promise<void>;
}

export interface FleetEventSink {
  send(events: FleetEvent[]): Promise<void>;
}

export function kafkaFleetSink(producer: Pick<TypedProducer, 'send'>): FleetEventSink {
  return { send: (events) => producer.send(topics.fleet, events.map((e) => ({ key: e.hardwareClass, value: e }))) };
}

export function createFleetEvents(o: { sink: FleetEventSink; managerId: string; now?: () => number; keep?: number; onError?: (err: Error) => void }): FleetEvents {
  const now = o.now ?? Date.now;
  const keep = o.keep ?? 5000;
  const memory: FleetEvent[] = [];
  const unsent: FleetEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  let retryTimer: NodeJS.Timeout | undefined;

  function pump(): Promise<void> {
    sending = sending.then(async () => {
      if (!unsent.length) return;
      const batch = unsent.slice();
      try {
        await o.sink.send(batch);
        unsent.splice(0, batch.length);
      } catch (err) {
        o.onError?.(err as Error);
        retryTimer ??= setTimeout(() => {
          retryTimer = undefined;
          void pump();
        }, 1000);
      }
    });
    return sending;
  }

  return {
    record(input) {
      const e: FleetEvent = {
        memberId: null, state: null, previousState: null, desired: null, actual: null, min: null, max: null,
        applied: true, actor: 'manager', inputsJson: null, ...input,
        eventId: randomUUID(), timestampMs: now(), managerId: o.managerId,
      };
      memory.push(e);
      if (memory.length > keep) memory.splice(0, memory.length - keep);
      unsent.push(e);
      void pump();
      return e;
    },
    recent(q = {}) {
      const out: FleetEvent[] = [];
      for (let i = memory.length - 1; i >= 0 && out.length < (q.limit ?? 100); i--) {
        if (!q.hardwareClass || memory[i]!.hardwareClass === q.hardwareClass) out.push(memory[i]!);
      }
      return out;
    },
    async flush(timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (unsent.length) {
        if (Date.now() > deadline) throw new Error(`${unsent.length} fleet events are not on ${topics.fleet.name} after ${timeoutMs} ms`);
        await pump();
        if (unsent.length) await new Promise((r) => setTimeout(r, 100));
      }
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
