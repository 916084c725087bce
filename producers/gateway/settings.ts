import { z } from 'zod';
import { ConfigError, env, readSection } from '../../topics/ground/env';
import { DEFAULT_WEIGHTS, parseWeights } from '../../stream-processors/routing/partitioner';
import { RECORD_MAX_BYTES } from '../../topics/catalog';

/** A program (one edit event, one snapshot), stdin (one run request) or one message's text fits a record with room to spare. */
const RECORD_ROOM = RECORD_MAX_BYTES / 2;

const section = z.object({
  GATEWAY_HOST: env.str('127.0.0.1'),
  GATEWAY_PORT: env.port(8080),
  ANALYTICS_URL: z.string().url().default('http://127.0.0.1:8090'),
  MAX_PROGRAM_BYTES: env.int(256 * 1024, 1024, RECORD_ROOM),
  MAX_FILES: env.int(32, 1, 1000),
  MAX_STDIN_BYTES: env.int(64 * 1024, 0, RECORD_ROOM),
  MAX_ARGS: env.int(64, 0, 4096),
  MAX_MESSAGE_BYTES: env.int(512 * 1024, 4096, RECORD_ROOM),
  MAX_OPS_PER_EDIT: env.int(1000, 1, 100000),
  RATE_RUNS_PER_MINUTE: env.int(120, 1, 1000000),
  RATE_RUNS_BURST: env.int(20, 1, 100000),
  RATE_EDITS_PER_SECOND: env.int(100, 1, 1000000),
  RATE_EDITS_BURST: env.int(400, 1, 1000000),
  SYNC_RUN_TIMEOUT_MS: env.int(60000, 1000, 600000),
  /** Longest wait for any run's result (queue, both stages at their maximum, the executor's request TTL); then internal_error. */
  RUN_RESULT_DEADLINE_MS: env.int(420000, 1000, 24 * 3600 * 1000),
  WEBHOOK_RETRIES: env.int(5, 0, 20),
  WEBHOOK_ALLOW_PRIVATE: env.bool(false),
  RATE_LINKS_PER_MINUTE: env.int(10, 1, 1000000),
  RATE_LINKS_BURST: env.int(30, 1, 100000),
  MAX_LINK_BYTES: env.int(320 * 1024, 1024, 900 * 1024),
  // Per client (docs/limits.md, "Clients"); 0 turns a count limit off (a proxy in front that limits instead).
  MAX_CONNECTIONS_PER_ADDRESS: env.int(1024, 0, 1000000),
  MAX_SOCKETS_PER_CLIENT: env.int(32, 0, 1000000),
  RATE_SESSIONS_PER_MINUTE: env.int(60, 1, 1000000),
  RATE_SESSIONS_BURST: env.int(60, 1, 1000000),
  // Slow clients: headers within, the whole request (body included) within, an editor socket's first open/resume within.
  HEADERS_TIMEOUT_MS: env.int(20000, 100, 600000),
  REQUEST_TIMEOUT_MS: env.int(60000, 100, 3600000),
  EDITOR_HELLO_TIMEOUT_MS: env.int(10000, 100, 600000),
  // Collaboration links' tokens are HMACs under this key (unset: the machine's operator token; set it on every gateway of a multi-machine deployment).
  COLLAB_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    // Printed as [hidden] by `conveyor config` and loggers.
    .transform((v) => (v === undefined ? undefined : { reveal: () => v, toJSON: () => '[hidden]' })),
  RESULTS_REMEMBERED: env.int(50000, 100, 10000000),
  // Refuse (429) a run expected to wait longer than this for a slot (docs/decisions/scheduling-admission.md).
  ADMISSION_MAX_WAIT_MS: env.int(30000, 0, 3600000),
  ADMISSION_STALE_MS: env.int(5000, 500, 600000),
  ROUTING_WEIGHTS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return DEFAULT_WEIGHTS;
      try {
        return { ...parseWeights(v), default: parseWeights(v).default ?? DEFAULT_WEIGHTS.default! };
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
});

export function gatewaySettings(e: NodeJS.ProcessEnv = process.env) {
  const s = readSection(section, e);
  // A request body must be able to carry what the other limits allow (JSON escaping aside): the limits agree by construction.
  if (s.MAX_MESSAGE_BYTES < s.MAX_PROGRAM_BYTES + s.MAX_STDIN_BYTES) {
    throw new ConfigError('MAX_MESSAGE_BYTES', `must be at least MAX_PROGRAM_BYTES + MAX_STDIN_BYTES (${s.MAX_PROGRAM_BYTES + s.MAX_STDIN_BYTES}), got ${s.MAX_MESSAGE_BYTES}`);
  }
  if (s.HEADERS_TIMEOUT_MS > s.REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', `must not be above REQUEST_TIMEOUT_MS (${s.REQUEST_TIMEOUT_MS}), got ${s.HEADERS_TIMEOUT_MS}`);
  }
  return s;
}
export type GatewaySettings = ReturnType<typeof gatewaySettings>;
