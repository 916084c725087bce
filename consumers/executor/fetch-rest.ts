/**
 * While runs wait in the local queue for a slot, a request fetched sooner would
 * only wait longer there: no slot is idle for want of it. So the first request
 * of a fetch taken while the queue is not empty holds the fetch loop (kafkajs
 * fetches again once every record of a fetch is handled) until the queue is
 * empty or `restMs` passed, and the requests the gateways sent meanwhile come in
 * one fetch instead of one each (a fetch costs the broker and this process
 * about a millisecond of CPU). An executor that keeps up (empty queue) never
 * rests: a request is fetched as soon as the broker has it.
 */
export function createFetchRest(o: { restMs: number; queued: () => number }) {
  let round = 0;
  let restedIn = -1;
  let wake: (() => void) | null = null;

  return {
    /** A fetch returned (kafkajs's FETCH event, before its records are handled). */
    fetched() {
      round++;
    },
    /** Nothing to wait for, or (once per fetch, while runs are queued) a rest until none is or `restMs` passed. */
    rest(): Promise<void> | undefined {
      if (restedIn === round || wake || o.queued() === 0) return undefined;
      restedIn = round;
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), o.restMs);
        const done = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        wake = done;
      });
    },
    /** A slot was freed or the executor stops: a rest ends as soon as no run is queued. */
    changed(stopping = false) {
      if (wake && (stopping || o.queued() === 0)) wake();
    },
  };
}
export type FetchRest = ReturnType<typeof createFetchRest>;
