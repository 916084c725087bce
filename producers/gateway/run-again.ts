import type { RunResultRecord } from '../../topics/types';

/**
 * An executor that lost a session's text (its copy was behind after a failure)
 * answers `internal_error` with a message starting `program_unavailable`. The
 * gateway still has the text: it sends it again and runs once more, once.
 */
export function isWorthRunningAgain(r: RunResultRecord, retried: boolean, currentVersion: number): boolean {
  return !retried && r.status === 'internal_error' && !!r.message?.startsWith('program_unavailable') && r.programVersion === currentVersion;
}

/**
 * Sends the text again and asks for the run once more. The run was accepted, so
 * it is answered whatever happens on this path: when the text or the second
 * request cannot be sent (a broker down, the executors gone, the queue full),
 * the executor's first answer stands, with the reason the second try failed.
 */
export async function runAgain(o: { result: RunResultRecord; resend(): Promise<void>; again(): Promise<unknown>; answer(r: RunResultRecord): void }): Promise<void> {
  try {
    await o.resend();
    await o.again();
  } catch (err) {
    o.answer({ ...o.result, message: `${o.result.message ?? 'program_unavailable'}; running it again failed: ${(err as Error).message}` });
  }
}
