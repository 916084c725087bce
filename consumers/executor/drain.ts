/**
 * How an executor leaves (SIGTERM, scale-in): stop fetching, let the runs in
 * flight finish and publish their results, commit their offsets, checkpoint
 * the buffers and commit the edits they cover, then leave the group. Nothing
 * is lost; at worst a run finishing after the commit is redelivered.
 */
export async function drain(o: {
  stopFetching: () => void;
  inFlight: () => Promise<void>[];
  flushCommits: () => Promise<void>;
  checkpoint: () => Promise<void>;
  leave: () => Promise<void>;
}) {
  o.stopFetching();
  await Promise.all(o.inFlight());
  await o.flushCommits();
  await o.checkpoint();
  await o.leave();
}
