import { spawnSync } from 'node:child_process';
import { pidAlive } from './pid';

describe('pidAlive', () => {
  it('sees this process and not one that has exited', () => {
    expect(pidAlive(process.pid)).toBe(true);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(pidAlive(gone)).toBe(false);
  });
});
