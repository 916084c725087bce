import type { LogEntry, logCreator } from 'kafkajs';

/** The coordinator's answers that mean this member's generation is ending: a rebalance, or the group no longer knows it. */
const ENDING = /group is rebalancing|generation id is not valid|coordinator is not aware of this member/i;

/**
 * kafkajs tells a member of a rebalance (REBALANCING) only once its fetch loop
 * has stopped, hundreds of milliseconds after the coordinator first answered a
 * heartbeat or commit with "rebalancing" under load; a result published in
 * between, with its commit late, is run again by the partition's next owner.
 * kafkajs logs those answers (Connection, level ERROR) the moment they come,
 * so this log creator, which writes every line as kafkajs's console logger
 * does, also calls `onGenerationEnding` at once.
 */
export function groupSignalLogCreator(o: { onGenerationEnding: () => void; write?: (line: string) => void }): logCreator {
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return () => ({ namespace, label, log }: LogEntry) => {
    const { message, error } = log as { message: string; error?: unknown };
    if (/Response (Heartbeat|OffsetCommit)\b/.test(message) && ENDING.test(String(error ?? ''))) o.onGenerationEnding();
    write(JSON.stringify({ level: label, ...log, message: `${namespace ? `[${namespace}] ` : ''}${message}` }));
  };
}
