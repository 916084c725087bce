/** The codes the sink dead-letters with (topics/dead-letter.ts builds the record). */
export type DeadLetterCode = 'undecodable' | 'invalid_record';

/**
 * ClickHouse refusing the data itself (bytes it cannot parse, throwIf on a
 * bad value), as opposed to ClickHouse being unavailable: retrying cannot
 * help, decoding record by record finds the culprits. Any error ClickHouse
 * raised with a code counts, except the codes of a busy or stopping server;
 * an error without one (a refused connection, a reset) is an outage.
 */
const TRANSIENT_CODES = new Set([159, 164, 202, 209, 210, 236, 241, 252, 394, 425, 439]);
export function isDataError(err: unknown): boolean {
  const e = err as { code?: string | number; cause?: { clickhouseCode?: number } } | null;
  const code = Number(e?.cause?.clickhouseCode ?? e?.code);
  return Number.isInteger(code) && code > 0 && !TRANSIENT_CODES.has(code);
}
