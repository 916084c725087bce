import type { ConsumerRunConfig } from 'kafkajs';
import { runKeptAlive } from './keep-running';
import { recordingLogger } from './test-fakes';

/** A kafkajs consumer that counts its runs and lets the spec crash it. */
function fakeConsumer() {
  const runs: ConsumerRunConfig[] = [];
  type Crash = { payload: { error: Error; groupId: string; restart: boolean } };
  const crashListeners: ((e: Crash) => void)[] = [];
  return {
    runs,
    consumer: {
      events: { CRASH: 'consumer.crash' },
      on: (event: string, l: (e: Crash) => void) => (event === 'consumer.crash' && crashListeners.push(l), () => {}),
      run: async (c: ConsumerRunConfig) => void runs.push(c),
    } as never,
    crash: (restart: boolean, message = 'Failed to find group coordinator') =>
      crashListeners.forEach((l) => l({ payload: { error: new Error(message), groupId: 'g', restart } })),
  };
}

describe('keeping a long-lived consumer running', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const config = { eachMessage: async () => {} };

  it('runs a consumer that kafkajs will not restart again, with the same config, and logs it', async () => {
    const f = fakeConsumer();
    const { logger, lines } = recordingLogger();
    await runKeptAlive(f.consumer, config, { name: 'spec', logger, stopped: () => false, againMs: 1000 });
    expect(f.runs).toHaveLength(1);
    f.crash(false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(f.runs).toEqual([config, config]);
    expect(lines.map((l) => l.level)).toEqual(['error']);
    // And again, should it crash once more.
    f.crash(false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(f.runs).toHaveLength(3);
  });

  it('leaves a crash kafkajs restarts itself to kafkajs, and runs nothing once its owner stopped', async () => {
    const f = fakeConsumer();
    let stopped = false;
    await runKeptAlive(f.consumer, config, { name: 'spec', logger: recordingLogger().logger, stopped: () => stopped, againMs: 1000 });
    f.crash(true);
    await jest.advanceTimersByTimeAsync(5000);
    expect(f.runs).toHaveLength(1);
    f.crash(false);
    stopped = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(f.runs).toHaveLength(1);
  });
});
