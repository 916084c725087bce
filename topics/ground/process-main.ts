/**
 * The life cycle every Conveyor process shares: start, tell the parent it is
 * ready (IPC, when launched by `conveyor start` or a test), and on SIGTERM,
 * SIGINT or the parent's death stop cleanly and exit.
 */
export function runProcess(name: string, start: () => Promise<{ ready: Record<string, unknown>; stop: () => Promise<void> }>): void {
  // A parent that dies while this process starts must still take it down once started.
  let parentGone = false;
  if (process.send) process.once('disconnect', () => (parentGone = true));
  start().then(
    ({ ready, stop }) => {
      if (process.connected) process.send?.({ ready: true, ...ready });
      let stopping = false;
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`${name}: stop failed: ${(err as Error).stack ?? err}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      process.once('disconnect', shutdown);
      if (parentGone) shutdown();
    },
    (err: unknown) => {
      process.stderr.write(`${name}: cannot start: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}

/**
 * Calls `onOrphaned` once when this process's parent has gone (it is
 * re-parented to init or a subreaper): `conveyor start` under `npm start`
 * stops when npm does, even if npm's shell died without passing the signal on.
 */
export function whenOrphaned(onOrphaned: () => void, everyMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
