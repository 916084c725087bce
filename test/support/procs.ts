import fs from 'node:fs';

/** The command name of a process, or '' once it is gone. */
export function commOf(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The pid of the process that named itself `comm` (a test's program writes a unique tag to /proc/self/comm). */
export function pidByComm(comm: string): string | undefined {
  return fs.readdirSync('/proc').find((p) => /^\d+$/.test(p) && commOf(p) === comm);
}
