import type { RunResultRecord } from '../../topics/types';
import { isWorthRunningAgain, runAgain } from './run-again';

const unavailable = { runId: 'r1', status: 'internal_error', message: 'program_unavailable: The text of session s at version 3 is not available to this executor.', programVersion: 3 } as RunResultRecord;

describe('running a run again after program_unavailable', () => {
  it('runs again once, only for program_unavailable at the current version', () => {
    expect(isWorthRunningAgain(unavailable, false, 3)).toBe(true);
    expect(isWorthRunningAgain(unavailable, true, 3)).toBe(false);
    expect(isWorthRunningAgain(unavailable, false, 4)).toBe(false);
    expect(isWorthRunningAgain({ ...unavailable, message: 'The executor failed: boom' }, false, 3)).toBe(false);
    expect(isWorthRunningAgain({ ...unavailable, status: 'ok', message: null }, false, 3)).toBe(false);
  });

  it('answers nothing itself when the text and the second request are sent (the second run answers)', async () => {
    const answers: RunResultRecord[] = [];
    const calls: string[] = [];
    await runAgain({ result: unavailable, resend: async () => void calls.push('resend'), again: async () => void calls.push('again'), answer: (r) => answers.push(r) });
    expect(calls).toEqual(['resend', 'again']);
    expect(answers).toEqual([]);
  });

  it('answers the accepted run with the first result when the text cannot be sent again', async () => {
    const answers: RunResultRecord[] = [];
    let asked = false;
    await runAgain({ result: unavailable, resend: () => Promise.reject(new Error('KafkaJSNumberOfRetriesExceeded')), again: async () => void (asked = true), answer: (r) => answers.push(r) });
    expect(asked).toBe(false);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.runId).toBe('r1');
    expect(answers[0]!.status).toBe('internal_error');
    expect(answers[0]!.message).toMatch(/^program_unavailable: .*; running it again failed: KafkaJSNumberOfRetriesExceeded$/);
  });

  it('answers the accepted run when the second request is refused', async () => {
    const answers: RunResultRecord[] = [];
    await runAgain({ result: unavailable, resend: async () => undefined, again: () => Promise.reject(new Error('No executor of hardware class "x86_64" is running')), answer: (r) => answers.push(r) });
    expect(answers.map((a) => a.message)).toEqual([expect.stringContaining('running it again failed: No executor of hardware class')]);
  });
});
