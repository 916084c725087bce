import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';

/**
 * The operator token: what every operator endpoint (fleet, replay, topics,
 * runtimes) asks for, and what `npx conveyor fleet …` sends. It is either
 * configured (CONVEYOR_OPERATOR_TOKEN) or, when unset, generated once into the
 * state directory (`<state>/operator-token`, mode 0600) by the first process that
 * needs it; every later process on the machine reads the same file, so
 * `npm start` and the CLI agree without any set-up.
 *
 * It lives on the ground floor so that the gateway, the analytics service and
 * ops can all import it; it reads no other module's settings (the state
 * directory is passed in).
 */
export const operatorTokenSection = z.object({
  // Kept hidden once read: `conveyor config` and loggers print [hidden].
  CONVEYOR_OPERATOR_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .transform((v) => (v === undefined ? undefined : hidden(v, 'environment', null))),
});

export const OPERATOR_TOKEN_FILE = 'operator-token';

export interface OperatorToken {
  /** Where it came from: configured in the environment, generated now, or read from the state file. */
  source: 'environment' | 'generated' | 'file';
  /** The state file that holds it (null when configured). */
  file: string | null;
  /** The token itself; only callers that send or check it call this. */
  reveal(): string;
}

function hidden(value: string, source: OperatorToken['source'], file: string | null): OperatorToken {
  return {
    source,
    file,
    reveal: () => value,
    toJSON: () => ({ source, file, token: '[hidden]' }),
  } as OperatorToken;
}

/** The configured token, or the machine's generated one (created now if no process made it yet). */
export function operatorToken(o: { configured?: string | OperatorToken; stateDir: string }): OperatorToken {
  if (typeof o.configured === 'string') return hidden(o.configured, 'environment', null);
  if (o.configured) return o.configured;
  const file = path.join(o.stateDir, OPERATOR_TOKEN_FILE);
  const read = () => fs.readFileSync(file, 'utf8').trim();
  if (fs.existsSync(file)) return hidden(read(), 'file', file);
  fs.mkdirSync(o.stateDir, { recursive: true });
  const value = randomBytes(24).toString('base64url');
  try {
    // 'wx': two processes starting together never write two different tokens.
    fs.writeFileSync(file, `${value}\n`, { flag: 'wx', mode: 0o600 });
    return hidden(value, 'generated', file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return hidden(read(), 'file', file);
    throw err;
  }
}

/** The token a request carries: `Authorization: Bearer <token>` or `X-Operator-Token: <token>`. */
export function presentedToken(req: Pick<IncomingMessage, 'headers'>): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const h = req.headers['x-operator-token'];
  const v = Array.isArray(h) ? h[0] : h;
  return v ? v.trim() : null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (on digests, so the lengths never leak either). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export type OperatorRefusal = { status: 401 | 403; body: { error: { code: string; message: string } } };

/** Why a request is refused, or null when it carries the operator token. */
export function checkOperator(req: Pick<IncomingMessage, 'headers'>, token: Pick<OperatorToken, 'reveal'>): OperatorRefusal | null {
  const presented = presentedToken(req);
  if (!presented) {
    return { status: 401, body: { error: { code: 'operator_token_required', message: 'This is an operator endpoint: send the operator token as "Authorization: Bearer <token>" (see CONVEYOR_OPERATOR_TOKEN in the README).' } } };
  }
  if (!tokenMatches(presented, token.reveal())) {
    return { status: 403, body: { error: { code: 'operator_token_invalid', message: 'The operator token is not valid for this Conveyor installation.' } } };
  }
  return null;
}

/**
 * Middleware for Express (or plain node:http handlers) that refuses a request
 * without the operator token: 401 operator_token_required when none is sent,
 * 403 operator_token_invalid when a wrong one is.
 */
export function requireOperatorToken(token: Pick<OperatorToken, 'reveal'>) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const refusal = checkOperator(req, token);
    if (!refusal) return next();
    res.statusCode = refusal.status;
    if (refusal.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="conveyor-operator"');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(refusal.body));
  };
}

/** Headers a client (the CLI) sends with an operator request. */
export const operatorHeaders = (token: Pick<OperatorToken, 'reveal'>) => ({ authorization: `Bearer ${token.reveal()}` });
