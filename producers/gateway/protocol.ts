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

export const clientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    language: z.string().min(1).max(64),
    version: z.string().max(32).optional(),
    dependencySet: z.string().max(64).optional(),
    hardwareClass: z.string().max(32).optional(),
    files: z.array(fileSchema).min(1).optional(),
    text: z.string().optional(),
  }),
  z.object({
    type: z.literal('resume'),
    sessionId: z.string().min(1).max(128),
    version: z.number().int().min(0),
    files: z.array(fileSchema).min(1).optional(),
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
  }),
  z.object({ type: z.literal('cancel'), runId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('stdin'), runId: z.string().min(1).max(64), data: z.string(), eof: z.boolean().optional() }),
  z.object({ type: z.literal('sync') }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export type ServerMessage =
  | { type: 'opened'; sessionId: string; version: number; language: string; languageVersion: string; dependencySet: string; hardwareClass: string; files: { name: string; content: string }[]; resumed: boolean }
  | { type: 'ack'; version: number }
  | { type: 'resync'; version: number; files: { name: string; content: string }[]; reason: string }
  | { type: 'run_accepted'; runId: string; version: number }
  | { type: 'output'; runId: string; stage: 'compile' | 'run'; stream: 'stdout' | 'stderr'; data: string; seq: number }
  | { type: 'result'; runId: string; result: unknown }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

/** First zod issue as one sentence, naming the field. */
export function describeIssue(err: z.ZodError): string {
  const i = err.issues[0]!;
  const where = i.path.length ? `"${i.path.join('.')}"` : 'the message';
  return `${where}: ${i.message}`;
}
