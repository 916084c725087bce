/**
 * Holds a run's output chunks for up to `lingerMs` before they are sent, as
 * Kafka's own producers linger: a short program's output and its result then
 * leave in one produce request (the run ends within the linger and its result
 * flushes the chunks ahead of it) instead of two, which spares the broker a
 * request and the gateway a fetch, and the result does not queue behind the
 * output's round trip. A chatty program's chunks of one linger go together.
 * What a person watching sees is at most `lingerMs` later. 0 sends each chunk
 * at once.
 */
export function createOutputLinger<R>(o: { send(records: R[]): Promise<void>; lingerMs: number; maxHeldBytes: number; bytes(r: R): number }) {
  type Held = { records: R[]; bytes: number; waiters: { resolve: () => void; reject: (e: unknown) => void }[]; timer: NodeJS.Timeout };
  const held = new Map<string, Held>();

  function flush(runId: string) {
    const h = held.get(runId);
    if (!h) return;
    held.delete(runId);
    clearTimeout(h.timer);
    o.send(h.records).then(
      () => h.waiters.forEach((w) => w.resolve()),
      (err) => h.waiters.forEach((w) => w.reject(err)),
    );
  }

  return {
    /** Queues a chunk of `runId`; settles when it is acknowledged. */
    add(runId: string, record: R): Promise<void> {
      if (o.lingerMs <= 0) return o.send([record]);
      let h = held.get(runId);
      if (!h) {
        h = { records: [], bytes: 0, waiters: [], timer: setTimeout(() => flush(runId), o.lingerMs) };
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
    /** Sends everything held (the executor stops). */
    flushAll() {
      for (const runId of [...held.keys()]) flush(runId);
    },
    held: () => held.size,
  };
}
export type OutputLinger<R> = ReturnType<typeof createOutputLinger<R>>;
