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
 *
 * Each answer also carries the command's CPU time (user + system, its descendants included), from the shell's
 * `times` (getrusage of its waited-for children, in ms): the yardstick for a bench's CPU per run, taken in the
 * same minutes, since the host's speed moves the same code's CPU by tens of percent between hours.
 */
export interface BareTime { ms: number; status: number; cpuMs: number }

export class BareTimer {
  private readonly rl: readline.Interface;
  private readonly waiting: { resolve: (r: BareTime) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private failure: Error | null = null;
  /** The lines of the answer being read: the times and status, then `times`' two lines. */
  private answer: string[] = [];
  /** The shell's children's CPU ms so far (cumulative, as `times` reports it). */
  private childrenCpuMs = 0;

  private constructor(private readonly bash: ChildProcessWithoutNullStreams) {
    this.rl = readline.createInterface({ input: bash.stdout });
    this.rl.on('line', (line) => {
      this.answer.push(line);
      if (this.answer.length < 3) return;
      const [head, , children] = this.answer;
      this.answer = [];
      const w = this.waiting.shift();
      if (!w) return;
      clearTimeout(w.timer);
      // EPOCHREALTIME's decimal point is the locale's: "1733570000.123456" or "1733570000,123456".
      const [start, end, status] = head!.trim().replace(/,/g, '.').split(' ');
      const ms = (Number(end) - Number(start)) * 1000;
      const cpu = parseTimes(children!);
      if (!Number.isFinite(ms) || cpu === null) return w.reject(new Error(`bare timer: unreadable answer ${JSON.stringify([head, children])}`));
      const cpuMs = Math.max(0, cpu - this.childrenCpuMs);
      this.childrenCpuMs = cpu;
      w.resolve({ ms, status: Number(status), cpuMs });
    });
    bash.on('exit', (code, signal) => this.fail(new Error(`bare timer: its shell ended (${signal ?? `code ${code}`})`)));
    bash.on('error', (err) => this.fail(err));
  }

  /** A timer whose commands run in `cwd`. */
  static start(cwd: string): BareTimer {
    // EPOCHREALTIME (bash 5) is the wall clock in microseconds, read without a fork. The command's stdin is
    // /dev/null so it cannot read the loop's own input.
    // `times` prints the shell's own user and system time, then its children's (no fork to read it).
    const loop = 'while IFS= read -r cmd; do s=$EPOCHREALTIME; /bin/sh -c "$cmd" </dev/null >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME; echo "$s $e $rc"; times; done';
    return new BareTimer(spawn('bash', ['--norc', '--noprofile', '-c', loop], { cwd, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Runs `command` once (one line of /bin/sh) and answers its wall time and CPU time in ms and its exit status. */
  time(command: string, timeoutMs = 300_000): Promise<BareTime> {
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

/** Milliseconds of user + system time in a line of bash's `times` ("0m0.034s 0m0.013s"), or null. */
export function parseTimes(line: string): number | null {
  const parts = line.trim().replace(/,/g, '.').split(/\s+/);
  if (parts.length !== 2) return null;
  let ms = 0;
  for (const p of parts) {
    const m = /^(\d+)m(\d+(?:\.\d+)?)s$/.exec(p);
    if (!m) return null;
    ms += (Number(m[1]) * 60 + Number(m[2])) * 1000;
  }
  return ms;
}
