import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BareTimer } from './bare-timer';
import { createRuntimeEngine } from './engine';
import type { RunResult, RunSpec, RuntimeEngine } from './types';
import { sleep } from '../topics/ground/retry';

/** One section of the benchmark report (tables plus raw samples for charts). */
export interface BenchSection {
  name: string;
  tables: { title: string; columns: string[]; rows: (string | number)[][] }[];
  /** latency samples in ms, for charts */
  samples?: Record<string, number[]>;
}

interface Case {
  language: string;
  dependencySet?: string;
  hardwareClass?: string;
  file: string;
  /** The program; {nonce} makes each compile unique so the cache cannot answer. */
  code: string;
  /** The same program run the plain way: shell commands in a temp dir holding `file`. */
  bare?: string;
  label?: string;
  slow?: boolean;
  gapMs?: number;
}

const TSX = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
const CASES: Case[] = [
  { language: 'python', file: 'hello.py', code: 'print("hello") # {nonce}', bare: "/usr/bin/python3 -c 'print(1)'" },
  {
    language: 'python',
    dependencySet: 'python-3.11-sci',
    file: 'hello.py',
    code: 'import numpy, pandas\nprint("hello") # {nonce}',
    bare: `${path.join(os.homedir(), '.cache/conveyor/depsets/python-3.11-sci/venv/bin/python3')} -c 'import numpy, pandas; print(1)'`,
    label: 'python-sci (numpy+pandas)',
    // Its warm interpreter needs ~0.5 s of CPU to import numpy and pandas: space runs so the pool can refill.
    gapMs: 700,
  },
  { language: 'javascript', file: 'hello.js', code: 'console.log("hello") // {nonce}', bare: "/usr/bin/node -e 'console.log(1)'" },
  { language: 'typescript', file: 'hello.ts', code: 'const s: string = "hello"; console.log(s) // {nonce}', bare: `${TSX} hello.ts` },
  { language: 'c', file: 'hello.c', code: '#include <stdio.h>\nint main(void){ puts("hello"); } // {nonce}', bare: 'gcc-12 -O2 hello.c -o hello && ./hello' },
  { language: 'c++', file: 'hello.cpp', code: '#include <iostream>\nint main(){ std::cout << "hello\\n"; } // {nonce}', bare: 'g++-12 -O2 hello.cpp -o hello && ./hello', label: 'c++ iostream -O2' },
  { language: 'c++', file: 'hello.cpp', code: '#include <bits/stdc++.h>\nint main(){ std::cout << "hello\\n"; } // {nonce}', bare: 'g++-12 -O2 hello.cpp -o hello && ./hello', label: 'c++ bits/stdc++.h -O2' },
  { language: 'c++', hardwareClass: 'arm64', file: 'hello.cpp', code: '#include <iostream>\nint main(){ std::cout << "hello\\n"; } // {nonce}', bare: 'aarch64-linux-gnu-g++-12 -static -O2 hello.cpp -o hello && qemu-aarch64 ./hello', label: 'c++ arm64 (qemu)' },
  { language: 'go', file: 'hello.go', code: 'package main\nimport "fmt"\nfunc main(){ fmt.Println("hello") } // {nonce}', bare: 'GOTOOLCHAIN=local /usr/local/go/bin/go build -o hello hello.go && ./hello' },
  { language: 'rust', file: 'hello.rs', code: 'fn main(){ println!("hello"); } // {nonce}', bare: 'PATH=/root/.cargo/bin:$PATH rustc -Copt-level=1 -o hello hello.rs && ./hello', slow: true },
  { language: 'java', file: 'Main.java', code: 'public class Main { public static void main(String[] a){ System.out.println("hello"); } } // {nonce}', bare: 'javac Main.java && java -cp . Main', slow: true },
];

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { median: q(0.5), p99: q(0.99) };
}
const r1 = (x: number) => Math.round(x * 10) / 10;
let seq = 0;

function specFor(c: Case, nonce: string): RunSpec {
  return { runId: `bench-${++seq}`, language: c.language, dependencySet: c.dependencySet, hardwareClass: c.hardwareClass ?? 'x86_64', files: [{ name: c.file, content: c.code.replace('{nonce}', nonce) }] };
}

async function timed(engine: RuntimeEngine, spec: RunSpec): Promise<{ ms: number; r: RunResult }> {
  const t = performance.now();
  const r = await engine.execute(spec);
  const ms = performance.now() - t;
  if (r.status !== 'ok') throw new Error(`bench run ${spec.language} failed: ${r.status} ${r.compile?.stderr ?? ''}${r.run?.stderr ?? ''}`);
  return { ms, r };
}

/** A bare toolchain's run, started from a small shell as a person starts it (bare-timer.ts says why not from here). */
async function bare(c: Case, dir: string, timer: BareTimer): Promise<number | null> {
  fs.writeFileSync(path.join(dir, c.file), c.code.replace('{nonce}', String(Math.random())));
  const r = await timer.time(c.bare!);
  return r.status === 0 ? r.ms : null;
}

export async function benchRuntimes(opts: { iterations?: number; only?: string[]; onProgress?: (msg: string) => void } = {}): Promise<BenchSection> {
  const n = opts.iterations ?? 20;
  const progress = opts.onProgress ?? (() => undefined);
  const engine = createRuntimeEngine({ poolSize: 2 });
  const chosen = (c: (typeof CASES)[number]) => !opts.only || opts.only.includes(c.label ?? c.language) || opts.only.includes(c.language);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-bench-'));
  const timer = BareTimer.start(dir);
  const samples: Record<string, number[]> = {};
  const latency: (string | number)[][] = [];
  const cacheRows: (string | number)[][] = [];
  try {
    progress('warming pools and precompiled headers');
    await engine.warm();
    // The Java compiler server starts on demand; the bench measures it warm, as a busy executor has it.
    if (CASES.some((c) => c.language === 'java' && chosen(c))) await engine.warm(['java']);
    for (const c of CASES) {
      const label = c.label ?? c.language;
      if (!chosen(c)) continue;
      const iters = c.slow ? Math.max(3, Math.ceil(n / 5)) : n;
      const compiled = !['python', 'javascript', 'typescript'].includes(c.language);
      progress(`${label}: ${iters} runs through the engine and ${iters} bare`);
      // First compile of a flag set may build its PCH; keep it out of the numbers.
      await timed(engine, specFor(c, `warmup-${Date.now()}`));
      if (c.bare) await bare(c, dir, timer);
      const eng: number[] = [];
      const cold: number[] = [];
      for (let i = 0; i < iters; i++) {
        eng.push((await timed(engine, specFor(c, `${Date.now()}-${i}`))).ms);
        const b = c.bare ? await bare(c, dir, timer) : null;
        if (b !== null) cold.push(b);
        await sleep(c.gapMs ?? (compiled ? 20 : 60)); // spaced like independent users; lets the pool refill
      }
      samples[`${label} engine`] = eng;
      if (cold.length) samples[`${label} bare`] = cold;
      const e = stats(eng);
      const b = cold.length ? stats(cold) : null;
      progress(`${label}: engine median ${r1(e.median)} ms, bare median ${b ? r1(b.median) : '-'} ms`);
      latency.push([label, compiled ? 'compile+run' : 'warm pool', iters, r1(e.median), r1(e.p99), b ? c.bare! : '', b ? r1(b.median) : '', b ? r1(b.p99) : '', b ? Math.round((e.median / b.median) * 1000) / 1000 : '']);
      if (compiled) {
        const fixed = specFor(c, 'cache-bench');
        await timed(engine, fixed);
        const hits: number[] = [];
        for (let i = 0; i < iters; i++) {
          const { ms, r } = await timed(engine, { ...fixed, runId: `bench-${++seq}` });
          if (!r.cacheHit) throw new Error('expected a cache hit');
          hits.push(ms);
        }
        const h = stats(hits);
        samples[`${label} cache hit`] = hits;
        cacheRows.push([label, iters, r1(h.median), r1(h.p99), r1(e.median / h.median)]);
      }
    }

    const throughput: (string | number)[][] = [];
    for (const c of [CASES[0]!, CASES[2]!, CASES[5]!].filter(chosen)) {
      const label = c.label ?? c.language;
      const fixed = specFor(c, 'throughput');
      const total = Math.max(20, n * 3);
      progress(`${label}: sustained throughput over ${total} runs, concurrency 2`);
      let next = 0;
      const t = performance.now();
      let pooled = 0;
      await Promise.all(
        [0, 1].map(async () => {
          while (next++ < total) {
            const { r } = await timed(engine, c.language === 'c++' ? { ...fixed, runId: `bench-${++seq}` } : specFor(c, String(next)));
            if (r.pooled || r.cacheHit) pooled++;
          }
        }),
      );
      const secs = (performance.now() - t) / 1000;
      throughput.push([label, total, 2, r1(total / secs), `${Math.round((100 * pooled) / total)}%`]);
    }
    const st = engine.stats();
    const poolRows = Object.entries(st.pools).map(([k, p]) => [k, p.size, p.hits, p.misses, `${Math.round((100 * p.hits) / Math.max(1, p.hits + p.misses))}%`]);
    return {
      name: 'runtimes',
      tables: [
        { title: `Hello-world latency, engine vs bare cold command (ms; ${os.cpus().length} cores)`, columns: ['runtime', 'path', 'n', 'engine median', 'engine p99', 'bare command', 'bare median', 'bare p99', 'engine/bare'], rows: latency },
        { title: 'Compile-cache hit latency (identical program, ms)', columns: ['runtime', 'n', 'median', 'p99', 'speed-up vs compile'], rows: cacheRows },
        { title: 'Sustained runs per second on this machine', columns: ['runtime', 'runs', 'concurrency', 'runs/s', 'pooled or cached'], rows: throughput },
        { title: 'Warm pools after the benchmark', columns: ['pool', 'size', 'hits', 'misses', 'hit rate'], rows: poolRows },
        { title: 'Compile cache after the benchmark', columns: ['entries', 'bytes', 'hits', 'misses'], rows: [[st.cache.entries, st.cache.bytes, st.cache.hits, st.cache.misses]] },
      ],
      samples,
    };
  } finally {
    timer.close();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(t: BenchSection['tables'][number]): void {
  const cells = [t.columns, ...t.rows.map((r) => r.map(String))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${t.title}`);
  for (const [i, r] of cells.entries()) {
    console.log(r.map((c, j) => String(c).padEnd(widths[j]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

if (require.main === module) {
  // npx tsx runtimes/bench.ts [iterations] [language,language…]
  const iterations = Number(process.argv[2] ?? 20);
  const only = process.argv[3]?.split(',');
  benchRuntimes({ iterations, only, onProgress: (m) => console.error(`bench: ${m}`) })
    .then((s) => s.tables.forEach(printTable))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
