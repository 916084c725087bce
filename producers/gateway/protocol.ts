import { z } from 'zod';

/**
 * The editor protocol over WebSocket (documented in docs/editor-protocol.md).
 * Every client message is validated against one of these schemas.
 */
export const fileSchema = z.object({ name: z.string().min(1).max(128), content: z.string() });
const limitsSchema = z
  .object({ wallMs: z.number(), cpuMs: z.number(), memoryBytes: z.number(), pids: z.number(), outputBytes: z.number(), fileBytes: z.number(), openFiles: z.number() })
  .partial()
  .strict();
export const stageLimitsSchema = z.object({ compile: limitsSchema.optional(), run: limitsSchema.optional() }).strict();

export const opSchema = z.object({
  file: z.string().min(1).max(128).optional(),
  offset: z.number().int().min(0),
  deleteCount: z.number().int().min(0).default(0),
  insert: z.string().default(''),
});

/** Which runtime a program asks for; the same fields on the editor protocol and the REST API. */
export const runtimeSelector = {
  language: z.string().min(1).max(64),
  version: z.string().max(32).optional(),
  dependencySet: z.string().max(64).optional(),
  hardwareClass: z.string().max(32).optional(),
};

export const clientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    ...runtimeSelector,
    files: z.array(fileSchema).min(1).optional(),
    text: z.string().optional(),
  }),
  z.object({
    type: z.literal('resume'),
    sessionId: z.string().min(1).max(128),
    version: z.number().int().min(0),
    files: z.array(fileSchema).min(1).optional(),
    /** A collaboration link's token: needed to join a session another client opened. */
    token: z.string().min(1).max(64).optional(),
  }),
  z.object({ type: z.literal('edit'), baseVersion: z.number().int().min(0), ops: z.array(opSchema).min(1) }),
  z.object({ type: z.literal('set'), files: z.array(fileSchema).min(1) }),
  z.object({
    type: z.literal('run'),
    runId: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/).optional(),
    version: z.number().int().min(1).optional(),
    stdin: z.string().optional(),
    args: z.array(z.string().max(4096)).optional(),
    compilerFlags: z.array(z.string().max(256)).optional(),
    limits: stageLimitsSchema.optional(),
    interactive: z.boolean().optional(),
  }),
  z.object({ type: z.literal('cancel'), runId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('stdin'), runId: z.string().min(1).max(64), data: z.string(), eof: z.boolean().optional() }),
  z.object({ type: z.literal('signal'), runId: z.string().min(1).max(64), signal: z.string().regex(/^SIG[A-Z0-9]{1,12}$/, 'a signal name such as SIGINT') }),
  z.object({ type: z.literal('sync') }),
  /** Where this peer's cursor is (offsets in its own text of `file`), for the others in the session. */
  z.object({ type: z.literal('cursor'), file: z.string().min(1).max(128), anchor: z.number().int().min(0), head: z.number().int().min(0) }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

const stageResult = z.object({
  status: z.string(), stdout: z.string(), stderr: z.string(), exitCode: z.number().int().nullable(), signal: z.string().nullable(),
  wallMs: z.number(), cpuMs: z.number(), peakMemoryBytes: z.number(), stdoutTruncated: z.boolean(), stderrTruncated: z.boolean(),
});
export const runResultSchema = z.object({
  runId: z.string(), sessionId: z.string(),
  status: z.enum(['ok', 'compile_error', 'runtime_error', 'time_limit', 'memory_limit', 'output_limit', 'internal_error', 'cancelled']),
  message: z.string().nullable(), language: z.string(), version: z.string(), dependencySet: z.string(), hardwareClass: z.string(),
  programVersion: z.number().int(), compile: stageResult.nullable(), run: stageResult.nullable(), cacheHit: z.boolean(), pooled: z.boolean(),
  requestedAtMs: z.number(), startedAtMs: z.number(), finishedAtMs: z.number(), queueWaitMs: z.number(), totalMs: z.number(),
});

/** Every message the server sends on /ws/editor. */
export const serverMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('opened'), sessionId: z.string(), version: z.number().int(), language: z.string(), languageVersion: z.string(),
    dependencySet: z.string(), hardwareClass: z.string(), files: z.array(fileSchema), resumed: z.boolean(),
    /** This connection's name among the session's peers. */
    peerId: z.string(),
    /** The token of the session's collaboration link (`/s/<sessionId>#t=<token>`). */
    collabToken: z.string(),
  }),
  z.object({ type: z.literal('ack'), version: z.number().int() }),
  /** Another peer's accepted change: `ops` against the previous version, or the whole `files`. */
  z.object({
    type: z.literal('edited'), version: z.number().int(), author: z.string(),
    ops: z.array(z.object({ file: z.string(), offset: z.number().int(), deleteCount: z.number().int(), insert: z.string() })).optional(),
    files: z.array(fileSchema).optional(),
  }),
  /** A peer arrived, moved its cursor or left. */
  z.object({
    type: z.literal('presence'), peerId: z.string(), state: z.enum(['here', 'left']),
    file: z.string().optional(), anchor: z.number().int().optional(), head: z.number().int().optional(),
  }),
  z.object({ type: z.literal('resync'), version: z.number().int(), files: z.array(fileSchema), reason: z.string() }),
  /** `author` is set when another peer of the session started the run. */
  z.object({ type: z.literal('run_accepted'), runId: z.string(), version: z.number().int(), author: z.string().optional() }),
  z.object({
    type: z.literal('queued'), runId: z.string(),
    /** 1 = the next run to get a slot. */
    position: z.number().int().min(1),
    /** When the run is expected to start (epoch ms), from its executor's predictions. */
    expectedStartMs: z.number().int(),
    predictedMs: z.number().int(),
  }),
  z.object({ type: z.literal('output'), runId: z.string(), stage: z.enum(['compile', 'run']), stream: z.enum(['stdout', 'stderr']), data: z.string(), seq: z.number().int() }),
  z.object({ type: z.literal('result'), runId: z.string(), result: runResultSchema }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), retryAfterS: z.number().int().optional() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** The protocol as JSON Schema (docs/editor-protocol.schema.json is this, kept true by a spec). */
export function protocolJsonSchema() {
  return {
    $comment: 'Generated from producers/gateway/protocol.ts: npx tsx producers/gateway/protocol.ts > docs/editor-protocol.schema.json',
    clientMessage: z.toJSONSchema(clientMessage),
    serverMessage: z.toJSONSchema(serverMessage),
  };
}

if (require.main === module) process.stdout.write(`${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);

/** First zod issue as one sentence, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const i = err.issues[0]!;
  const where = i.path.length ? `"${i.path.join('.')}"` : 'the message';
  return `${where}: ${i.message}`;
}
