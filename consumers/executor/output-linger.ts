/**
 * Holds a run's output chunks for up to `lingerMs` before they are sent, as
 * Kafka's own producers linger: a short program's output and its result then
 * leave in one produce request (the run ends within the linger and its result
 * flushes the chunks ahead of it) instead of two, which spares the broker a
 * request and the gateway a fetch, and the result does not queue behind the
 * output's round trip. A chatty program's chunks of one linger go together.
 * What a person watching sees is at most `lingerMs` later (or the linger a
 * run's first held chunk names: a run expected to be short holds longer, so
 * its output nearly always leaves with its result). 0 sends each chunk at once. `carrying` hands a run's last held chunks to the send of its result,
 * so the two are one caller of the batching sender and always share a request.
 */
export function createOutputLinger<R>(o: { send(records: R[]): Promise<void>; lingerMs: number; maxHeldBytes: number; bytes(r: R): number }) {
  type Held = { records: R[]; bytes: number; waiters: { resolve: () => void; reject: (e: unknown) => void }[]; timer: NodeJS.Timeout };
  const held = new Map<string, Held>();

  function take(runId: string): Held | undefined {
    const h = held.get(runId);
    if (!h) return undefined;
    held.delete(runId);
    clearTimeout(h.timer);
    return h;
  }

  function settle(h: Held, sent: Promise<void>) {
    sent.then(
      () => h.waiters.forEach((w) => w.resolve()),
      (err) => h.waiters.forEach((w) => w.reject(err)),
    );
  }

  function flush(runId: string) {
    const h = take(runId);
    if (h) settle(h, o.send(h.records));
  }

  return {
    /** Queues a chunk of `runId` (held up to `lingerMs` if it starts a hold); settles when it is acknowledged. */
    add(runId: string, record: R, lingerMs = o.lingerMs): Promise<void> {
      let h = held.get(runId);
      if (!h && lingerMs <= 0) return o.send([record]);
      if (!h) {
        h = { records: [], bytes: 0, waiters: [], timer: setTimeout(() => flush(runId), lingerMs) };
        held.set(runId, h);
      }
      h.records.push(record);
      h.bytes += o.bytes(record);
      const acked = new Promise<void>((resolve, reject) => h!.waiters.push({ resolve, reject }));
      if (h.bytes >= o.maxHeldBytes) flush(runId);
      return acked;
    },
    /** Sends what `runId` holds now (its run ended, or a client waits for this chunk). */
    flush,
    /**
     * Wraps the send of `runId`'s result: its first call takes the chunks the run holds
     * then and passes them to `send` to go in the same call; later calls (retries of the
     * result) pass none, so no chunk is sent twice. Held chunks of a first call refused
     * before anything went out (record_too_large) are sent on their own, as a flush would.
     */
    carrying<A>(runId: string, send: (chunks: R[], arg: A) => Promise<void>): (arg: A) => Promise<void> {
      let first = true;
      return (arg: A) => {
        const h = first ? take(runId) : undefined;
        first = false;
        if (!h) return send([], arg);
        const sent = send(h.records, arg);
        settle(h, sent.catch((err: unknown) => {
          if ((err as { code?: string }).code === 'record_too_large') return o.send(h.records);
          throw err;
        }));
        return sent;
      };
    },
    /** Sends everything held (the executor stops). */
    flushAll() {
      for (const runId of [...held.keys()]) flush(runId);
    },
    held: () => held.size,
  };
}
export type OutputLinger<R> = ReturnType<typeof createOutputLinger<R>>;
