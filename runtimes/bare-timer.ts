import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';

/**
 * Times bare commands (the benches' yardsticks: `python3 -c 'print(1)'`, `g++ hello.cpp && ./a.out`) the way a
 * person at a shell starts them: a small, long-lived bash forks each one, and the time is taken in that bash,
 * from just before its fork to just after the command's exit.
 *
 * Not Node's own child_process: libuv starts a child with fork(), not vfork(), so the time includes copying the
 * calling process's page tables, which grows with its memory. From a 490 MB node process a bare
 * `python3 -c 'print(1)'` took 28.5 ms instead of 10.8 ms (median of 20, Session 14), and a bench process grows
 * as it runs, so its yardstick did too.
 */
export class BareTimer {
  private readonly rl: readline.Interface;
  private readonly waiting: { resolve: (r: { ms: number; status: number }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private failure: Error | null = null;

  private constructor(private readonly bash: ChildProcessWithoutNullStreams) {
    this.rl = readline.createInterface({ input: bash.stdout });
    this.rl.on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      clearTimeout(w.timer);
      // EPOCHREALTIME's decimal point is the locale's: "1733570000.123456" or "1733570000,123456".
      const [start, end, status] = line.trim().replace(/,/g, '.').split(' ');
      const ms = (Number(end) - Number(start)) * 1000;
      if (!Number.isFinite(ms)) w.reject(new Error(`bare timer: unreadable answer ${JSON.stringify(line)}`));
      else w.resolve({ ms, status: Number(status) });
    });
    bash.on('exit', (code, signal) => this.fail(new Error(`bare timer: its shell ended (${signal ?? `code ${code}`})`)));
    bash.on('error', (err) => this.fail(err));
  }

  /** A timer whose commands run in `cwd`. */
  static start(cwd: string): BareTimer {
    // EPOCHREALTIME (bash 5) is the wall clock in microseconds, read without a fork. The command's stdin is
    // /dev/null so it cannot read the loop's own input.
    const loop = 'while IFS= read -r cmd; do s=$EPOCHREALTIME; /bin/sh -c "$cmd" </dev/null >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME; echo "$s $e $rc"; done';
    return new BareTimer(spawn('bash', ['--norc', '--noprofile', '-c', loop], { cwd, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Runs `command` once (one line of /bin/sh) and answers its wall time in ms and its exit status. */
  time(command: string, timeoutMs = 300_000): Promise<{ ms: number; status: number }> {
    if (/[\r\n]/.test(command)) return Promise.reject(new Error('bare timer: a command is one line'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`bare timer: "${command}" did not finish within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({ resolve, reject, timer });
      this.bash.stdin.write(`${command}\n`);
    });
  }

  close(): void {
    this.fail(new Error('bare timer: closed'));
  }

  private fail(err: Error) {
    if (!this.failure) this.failure = err;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.rl.close();
    if (this.bash.exitCode === null && this.bash.signalCode === null) this.bash.kill('SIGKILL');
  }
}
