/**
 * Parsing of the replay commands' arguments: moments ("2026-12-01T10:42:00Z",
 * epoch milliseconds, "10:42" today in UTC, or "-15m" before now), rates and
 * fractions. Errors carry a code so the CLI prints `conveyor: <code>: <sentence>`.
 */
export class ArgumentError extends Error {
  readonly code = 'invalid_argument';
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseMoment(text: string, now = Date.now()): number {
  const t = text.trim();
  if (/^\d{11,}$/.test(t)) return Number(t);
  const rel = /^-(\d+(?:\.\d+)?)([smhd])$/.exec(t);
  if (rel) return Math.round(now - Number(rel[1]) * UNIT_MS[rel[2]!]!);
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (hm) {
    const d = new Date(now);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Number(hm[1]), Number(hm[2]), Number(hm[3] ?? 0));
  }
  const ms = Date.parse(t);
  if (Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}/.test(t)) return ms;
  throw new ArgumentError(`"${text}" is not a moment: use an ISO time (2026-12-01T10:42:00Z), epoch milliseconds, HH:MM (UTC, today) or -15m.`);
}

export function parsePositive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ArgumentError(`${what} must be a positive number (got "${text}").`);
  return n;
}

export function parseFraction(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new ArgumentError(`${what} must be a fraction in (0, 1] (got "${text}").`);
  return n;
}

export function parseVersion(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new ArgumentError(`--version must be a whole number (got "${text}").`);
  return Number(text);
}
