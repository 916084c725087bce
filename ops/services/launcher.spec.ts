import os from 'node:os';
import path from 'node:path';
import { startService, stopService, type RunningService } from './launcher';

const logDir = path.join(os.tmpdir(), `launcher-spec-${process.pid}`);
const threadsNice = (s: RunningService) =>
  new Promise<number[]>((resolve) => {
    s.child.once('message', (m: { nice: number[] }) => resolve(m.nice));
    s.child.send('threads');
  });

describe('startService', () => {
  it('starts a service whose every thread has the nice value asked for, with its IPC channel working', async () => {
    const s = await startService({ name: 'nice-child', entry: 'ops/services/fixtures/ready-child.ts', nice: 7 }, logDir);
    try {
      const nice = await threadsNice(s);
      expect(nice.length).toBeGreaterThan(1); // node's own threads too, not only the main one
      expect(new Set(nice)).toEqual(new Set([os.getPriority() + 7]));
    } finally {
      await stopService(s);
    }
  }, 60_000);

  it('starts a service at the caller\'s priority when none is asked for', async () => {
    const s = await startService({ name: 'plain-child', entry: 'ops/services/fixtures/ready-child.ts' }, logDir);
    try {
      expect(new Set(await threadsNice(s))).toEqual(new Set([os.getPriority()]));
    } finally {
      await stopService(s);
    }
  }, 60_000);
});
