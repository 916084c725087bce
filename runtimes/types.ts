import type { Logger } from '../topics/ground/logger';
import type { RunStatusValue, StageResultRecord } from '../topics/types';

/** The public contract of the runtimes engine: executors code against these names. */

/** Where a run may execute: instruction set plus specialty ('x86_64', 'arm64', 'gpu', …). */
export type HardwareClass = string;
export const KNOWN_HARDWARE_CLASSES = ['x86_64', 'arm64', 'gpu'] as const;

export interface SourceFile { name: string; content: string }

export interface StageLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  pids: number;
  /** Per stream (stdout and stderr each). */
  outputBytes: number;
  /** Largest file a program may write (RLIMIT_FSIZE); also sizes the work tmpfs. */
  fileBytes: number;
  openFiles: number;
}

export interface RunSpec {
  runId: string;
  language: string;
  version?: string;
  dependencySet?: string;
  hardwareClass: HardwareClass;
  files: SourceFile[];
  stdin?: string;
  args?: string[];
  compilerFlags?: string[];
  limits?: { compile?: Partial<StageLimits>; run?: Partial<StageLimits> };
}

/** A run's and a stage's outcome are the records' own types (topics/types.ts): the result crosses the broker as it is. */
export type RunStatus = RunStatusValue;
export type StageResult = StageResultRecord;

export interface RunResult {
  runId: string;
  status: RunStatus;
  message?: string;
  language: string;
  version: string;
  dependencySet: string;
  hardwareClass: string;
  compile?: StageResult;
  run?: StageResult;
  cacheHit: boolean;
  pooled: boolean;
}

export interface OutputChunk { stage: 'compile' | 'run'; stream: 'stdout' | 'stderr'; data: string; seq: number }

export interface RunHandle {
  result: Promise<RunResult>;
  write(stdin: string): void;
  endStdin(): void;
  /** Stops the run: every process is killed and the run reports `cancelled`. */
  cancel(): void;
  /**
   * Delivers a named signal (SIGINT, SIGTERM, SIGUSR1, SIGKILL, …) to the
   * running program's processes; the program decides what it means, and a
   * signal that ends it is reported in its stage's `signal`. Given before a
   * stage runs, it is delivered when it starts. Throws RuntimeError
   * `invalid_signal` for a name that is not a signal.
   */
  signal(name: string): void;
}

export interface RuntimeInfo {
  language: string;
  version: string;
  aliases: string[];
  dependencySets: string[];
  hardwareClasses: string[];
  compiled: boolean;
}

export interface EngineLimits {
  defaults: { compile: StageLimits; run: StageLimits };
  maximums: { compile: StageLimits; run: StageLimits };
}

export interface EngineStats {
  /** Per pool key (runtime:dependency set): idle warm sandboxes, hits, misses and the size it is kept at. */
  pools: Record<string, { size: number; hits: number; misses: number; target?: number }>;
  /** Forking runtimes (CONVEYOR_RUNTIMES_FORK): runs forked, of them served by a child forked ahead, starts of the runtime, runs that fell back to the pool. */
  forking?: Record<string, { ready: boolean; forks: number; prepared: number; starts: number; fallbacks: number; disabled?: string }>;
  cache: { entries: number; bytes: number; hits: number; misses: number };
  /** Warm compilers (CONVEYOR_RUNTIMES_COMPILER_SERVERS): compiles served, starts, compiles sent elsewhere, crashes. */
  compilers?: Record<string, { ready: boolean; compiles: number; starts: number; fallbacks: number; crashes: number }>;
}

export interface StartOptions {
  onChunk?: (c: OutputChunk) => void;
  /** Told when a stage starts, before its first output (Piston's `stage` events). */
  onStage?: (stage: 'compile' | 'run') => void;
  interactiveStdin?: boolean;
}
export interface ExecuteOptions { onChunk?: (c: OutputChunk) => void; signal?: AbortSignal }

export interface RuntimeEngine {
  start(spec: RunSpec, opts?: StartOptions): RunHandle;
  execute(spec: RunSpec, opts?: ExecuteOptions): Promise<RunResult>;
  runtimes(): RuntimeInfo[];
  limits(): EngineLimits;
  stats(): EngineStats;
  /** Pre-fill pools and precompiled headers; resolves when ready. */
  warm(languages?: string[]): Promise<void>;
  /**
   * Warm-pool sizes per dependency set (the fleet's forecast, ops/fleet/warm-pools.ts): each pooled runtime
   * of the set keeps that many warm sandboxes; a forking runtime is started when its size is above 0.
   * Sets without a warm runtime (compiled languages, unknown names, negative sizes) come back as ignored.
   */
  setPoolSizes(sizes: Readonly<Record<string, number>>): { applied: Record<string, number>; ignored: string[] };
  close(): Promise<void>;
}


export interface EngineOptions {
  hardwareClasses?: string[];
  /** Where the real collaborators keep artifacts, PCHs and output directories (unused when parts are handed in). */
  cacheDir?: string;
  /** Warm sandboxes kept ready per pooled runtime (unused when parts are handed in). */
  poolSize?: number;
  /** What is forked from a warm runtime (default CONVEYOR_RUNTIMES_FORK): python, native (run stages), compile. */
  fork?: string[];
  /** Languages compiled by a warm compiler server (default CONVEYOR_RUNTIMES_COMPILER_SERVERS): java. */
  compilerServers?: string[];
  logger?: Logger;
}

export type RuntimeErrorCode =
  | 'unknown_language'
  | 'unknown_version'
  | 'unknown_dependency_set'
  | 'hardware_class_unavailable'
  | 'flag_not_allowed'
  | 'limit_exceeds_maximum'
  | 'invalid_limit'
  | 'invalid_files'
  | 'invalid_spec'
  | 'invalid_signal'
  | 'engine_closed';

/** Bad input: a code a client can act on and a sentence a person can read. */
export class RuntimeError extends Error {
  constructor(readonly code: RuntimeErrorCode, message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}
