/**
 * The life cycle every Conveyor process shares: start, tell the parent it is
 * ready (IPC, when launched by `conveyor start` or a test), and on SIGTERM,
 * SIGINT or the parent's death stop cleanly and exit.
 */
export function runProcess(name: string, start: () => Promise<{ ready: Record<string, unknown>; stop: () => Promise<void> }>): void {
  start().then(
    ({ ready, stop }) => {
      process.send?.({ ready: true, ...ready });
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
    },
    (err: unknown) => {
      process.stderr.write(`${name}: cannot start: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
