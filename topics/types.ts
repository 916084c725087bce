/**
 * TypeScript shapes of the Avro records in schemas/. One type per schema;
 * catalog.spec.ts proves every sample of these types is valid against its .avsc.
 */
export interface SourceFile { name: string; content: string }

export interface EditOp { file: string; offset: number; deleteCount: number; insert: string }

export interface EditEvent {
  eventId: string;
  sessionId: string;
  userId: string;
  timestampMs: number;
  kind: 'open' | 'edit' | 'close';
  language: string;
  dependencySet: string;
  hardwareClass: string;
  baseVersion: number;
  version: number;
  files: SourceFile[] | null;
  ops: EditOp[];
  textBytes: number;
}

export interface ProgramSnapshot {
  sessionId: string;
  userId: string;
  language: string;
  dependencySet: string;
  hardwareClass: string;
  version: number;
  files: SourceFile[];
  updatedAtMs: number;
}

export interface StageLimitsRecord {
  wallMs: number | null;
  cpuMs: number | null;
  memoryBytes: number | null;
  pids: number | null;
  outputBytes: number | null;
  fileBytes: number | null;
  openFiles: number | null;
}

export type RunSource = 'websocket' | 'rest' | 'piston' | 'load' | 'piston_connect';

export interface RunRequest {
  runId: string;
  sessionId: string;
  userId: string;
  requestedAtMs: number;
  language: string;
  languageVersion: string;
  dependencySet: string;
  hardwareClass: string;
  programVersion: number;
  stdin: string;
  args: string[];
  compilerFlags: string[];
  compileLimits: StageLimitsRecord | null;
  runLimits: StageLimitsRecord | null;
  source: RunSource;
  replyTo: string;
  streamOutput: boolean;
  /** Stdin stays open for stdin/eof controls (absent in records of older producers: false). */
  interactiveStdin?: boolean;
}

export interface ShareLink {
  linkId: string;
  createdAtMs: number;
  language: string;
  languageVersion: string;
  dependencySet: string;
  hardwareClass: string;
  files: { name: string; content: string }[];
  stdin: string;
  args: string[];
  compilerFlags: string[];
  deleteTokenHashes: string[];
}

export interface RunOutput {
  runId: string;
  sessionId: string;
  replyTo: string;
  seq: number;
  stage: 'compile' | 'run';
  stream: 'stdout' | 'stderr';
  data: string;
  timestampMs: number;
}

export const RUN_STATUSES = ['ok', 'compile_error', 'runtime_error', 'time_limit', 'memory_limit', 'output_limit', 'internal_error', 'cancelled'] as const;
export type RunStatusValue = (typeof RUN_STATUSES)[number];

export interface StageResultRecord {
  status: RunStatusValue;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  cpuMs: number;
  peakMemoryBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

export interface RunResultRecord {
  runId: string;
  sessionId: string;
  userId: string;
  replyTo: string;
  source: string;
  language: string;
  languageVersion: string;
  dependencySet: string;
  hardwareClass: string;
  programVersion: number;
  status: RunStatusValue;
  message: string | null;
  requestedAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  compile: StageResultRecord | null;
  run: StageResultRecord | null;
  cacheHit: boolean;
  pooled: boolean;
  sourceBytes: number;
  fileCount: number;
  executorId: string;
  attempt: number;
  outputChunks: number;
  /** Scheduling (defaults for records of older writers: 0 and ''). */
  queuedAtMs?: number;
  predictedCompileMs?: number;
  predictedRunMs?: number;
  predictionBasis?: string;
  scheduler?: string;
}

export interface QueuedRunPosition {
  runId: string;
  position: number;
  predictedMs: number;
  expectedStartMs: number;
}

export interface ExecutorLoad {
  executorId: string;
  hardwareClass: string;
  scheduler: string;
  timestampMs: number;
  concurrency: number;
  capacity: number;
  partitions: number[];
  running: number;
  queued: number;
  queuedWorkMs: number;
  drainMs: number;
  /** Requests of the owned partitions still in Kafka (not taken yet). */
  backlog: number;
  /** When the end offsets behind `backlog` were read (0: never): requests sent after it are not in it. */
  backlogAtMs: number;
  queue: QueuedRunPosition[];
}

export interface DeadLetter {
  id: string;
  timestampMs: number;
  sourceTopic: string;
  partition: number;
  offset: number;
  key: string | null;
  runId: string | null;
  code: string;
  reason: string;
  consumer: string;
  payload: Buffer | null;
}

export interface RunControl {
  runId: string;
  sessionId: string;
  timestampMs: number;
  kind: 'cancel' | 'stdin' | 'eof' | 'signal';
  data: string;
  signal: string;
}

export const FLEET_MEMBER_STATES = ['starting', 'ready', 'draining', 'stopped', 'failed'] as const;
export type FleetMemberState = (typeof FLEET_MEMBER_STATES)[number];

export interface FleetEvent {
  eventId: string;
  timestampMs: number;
  kind: 'member_state' | 'desired_changed' | 'scale_decision' | 'pool_decision' | 'unknown';
  hardwareClass: string;
  memberId: string | null;
  state: FleetMemberState | null;
  previousState: FleetMemberState | null;
  desired: number | null;
  actual: number | null;
  min: number | null;
  max: number | null;
  applied: boolean;
  reason: string;
  actor: string;
  inputsJson: string | null;
  managerId: string;
}

/** The toolchain version new sessions of a language get (runtimes.current). */
export interface RuntimeCurrent {
  language: string;
  version: string;
  setBy: string;
  setAtMs: number;
}

/** The warm-pool sizes the fleet manager wants each executor of a class to keep (runtimes.pools; the latest per class holds). */
export interface PoolSizes {
  hardwareClass: string;
  sizes: { dependencySet: string; size: number }[];
  decidedAtMs: number;
  reason: string;
  managerId: string;
}
