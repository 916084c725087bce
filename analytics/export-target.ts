import fs from 'node:fs';
import path from 'node:path';
import type { Secret } from '../topics/ground/secret';
import type { Warehouse } from './warehouse';

/**
 * Where the daily Parquet export goes: a directory (on ClickHouse's own
 * filesystem) or an S3 prefix (written by ClickHouse's s3() table function).
 * Both get the same Hive layout and the same _SUCCESS manifest; only how a
 * day's files are named, made final and written differs, which is all this
 * file knows about.
 */
export type ExportTarget = DirectoryTarget | S3Target;
export interface DirectoryTarget {
  kind: 'directory';
  dir: string;
}
export interface S3Target {
  kind: 's3';
  /** s3://bucket/prefix: printable, for logs and results. */
  url: string;
  /** The same prefix as ClickHouse reaches it over HTTP(S). */
  httpUrl: string;
  /** null: ClickHouse's own credential chain (its environment, an instance role). */
  credentials: S3Credentials | null;
}
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: Secret;
  sessionToken: Secret | null;
}

export interface Manifest {
  day: string;
  rows: number;
  exportedAt: string;
}

/** A table function that names its file through query parameters only, never through SQL text. */
export interface TableFunction {
  sql: string;
  params: Record<string, unknown>;
  settings: string;
}

export interface DayOutput {
  /** Printable location of the day's runs.parquet. */
  file: string;
  /** Where the INSERT writes the day's Parquet, and where its row count is read back from. */
  parquet: TableFunction;
  /** After the insert: makes the Parquet final, then writes _SUCCESS. */
  commit(wh: Warehouse, manifest: Manifest): Promise<void>;
}

export class ExportError extends Error {
  constructor(
    readonly code: 'export_access_denied' | 'export_failed',
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export const describeTarget = (t: ExportTarget): string => (t.kind === 'directory' ? t.dir : t.url);

/** year=YYYY/month=MM/day=DD for a YYYY-MM-DD day. */
export function hivePath(day: string): string {
  const [y, m, d] = day.split('-');
  return `year=${y}/month=${m}/day=${d}`;
}

export function openDay(target: ExportTarget, day: string): DayOutput {
  return target.kind === 'directory' ? directoryDay(target.dir, day) : s3Day(target, day);
}

/** Written beside the final name and renamed, so readers never see half a file. */
function directoryDay(dir: string, day: string): DayOutput {
  const folder = path.join(dir, ...hivePath(day).split('/'));
  const file = path.join(folder, 'runs.parquet');
  const tmpName = `_tmp-${process.pid}-runs.parquet`;
  fs.mkdirSync(folder, { recursive: true });
  return {
    file,
    parquet: { sql: "file({target_path:String}, 'Parquet')", params: { target_path: path.join(folder, tmpName) }, settings: 'engine_file_truncate_on_insert = 1' },
    async commit(_wh, manifest) {
      for (const old of fs.readdirSync(folder)) if (old.endsWith('.parquet') && old !== tmpName) fs.rmSync(path.join(folder, old));
      fs.renameSync(path.join(folder, tmpName), file);
      fs.writeFileSync(path.join(folder, '_SUCCESS'), JSON.stringify(manifest) + '\n');
    },
  };
}

/**
 * An S3 object appears whole when its upload completes, so the Parquet is
 * written under its final key and a re-export replaces it (truncate on insert).
 * Few retries: an unreachable store fails the run in seconds, and the next
 * scheduled run covers the day again.
 */
const S3_SETTINGS = 's3_truncate_on_insert = 1, s3_retry_attempts = 3';

function s3Day(target: S3Target, day: string): DayOutput {
  const folder = `${target.httpUrl}/${hivePath(day)}`;
  const manifest = s3Function(target, `${folder}/_SUCCESS`, "'JSONEachRow', 'day String, rows UInt32, exportedAt String'");
  return {
    file: `${target.url}/${hivePath(day)}/runs.parquet`,
    parquet: s3Function(target, `${folder}/runs.parquet`, "'Parquet'"),
    async commit(wh, m) {
      await wh.command(`INSERT INTO FUNCTION ${manifest.sql} SELECT {day:String}, {rows:UInt32}, {exportedAt:String} SETTINGS ${manifest.settings}`, {
        ...manifest.params,
        ...m,
      });
    },
  };
}

function s3Function(target: S3Target, url: string, format: string): TableFunction {
  const args = ['{target_url:String}'];
  const params: Record<string, unknown> = { target_url: url };
  const c = target.credentials;
  if (c) {
    args.push('{target_key:String}', '{target_secret:String}');
    Object.assign(params, { target_key: c.accessKeyId, target_secret: c.secretAccessKey.reveal() });
    if (c.sessionToken) {
      args.push('{target_token:String}');
      params.target_token = c.sessionToken.reveal();
    }
  }
  return { sql: `s3(${args.join(', ')}, ${format})`, params, settings: S3_SETTINGS };
}

const ACCESS_DENIED = /access denied|access key id|signature we calculated|security token|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken/i;

/** The warehouse's error as one a person can act on, without any credential in it. */
export function exportFailure(target: ExportTarget, day: string, err: unknown): ExportError {
  let detail = err instanceof Error ? err.message : String(err);
  if (target.kind === 'directory') return new ExportError('export_failed', `Parquet export of ${day} to ${target.dir} failed: ${detail}`);
  for (const s of [target.credentials?.secretAccessKey, target.credentials?.sessionToken]) if (s) detail = detail.split(s.reveal()).join('[hidden]');
  detail = detail.trim().replace(/^Message:\s*/, '');
  if (ACCESS_DENIED.test(detail)) {
    return new ExportError(
      'export_access_denied',
      `Parquet export of ${day} to ${target.url}: the store refused the credentials; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions (${detail})`,
    );
  }
  return new ExportError('export_failed', `Parquet export of ${day} to ${target.url} failed: ${detail}`);
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9._=-]+(\/[A-Za-z0-9._=-]+)*$/;

export interface S3Location {
  bucket: string;
  prefix: string;
  /** Origin of an S3-compatible store named in the URL itself (path-style), else null. */
  endpoint: string | null;
}

/**
 * s3://bucket/prefix, or http(s)://host[:port]/bucket/prefix (path-style, for
 * S3-compatible stores). Returns the problem as a sentence when it is neither.
 * The prefix is kept to characters that need no escaping in a URL and no glob
 * meaning in ClickHouse (* ? { }).
 */
export function parseS3Url(raw: string): S3Location | string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be s3://bucket/prefix or http(s)://host/bucket/prefix';
  }
  if (u.username || u.password) return 'must not carry credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead';
  if (u.search || u.hash) return 'must not have a query string or a fragment';
  let bucket: string;
  let key: string;
  let endpoint: string | null = null;
  if (u.protocol === 's3:') {
    bucket = u.hostname;
    key = u.pathname;
  } else if (u.protocol === 'http:' || u.protocol === 'https:') {
    const [, first = '', ...rest] = u.pathname.split('/');
    bucket = first;
    key = rest.join('/');
    endpoint = u.origin;
  } else {
    return 'must be s3://bucket/prefix or http(s)://host/bucket/prefix';
  }
  key = key.replace(/^\/+|\/+$/g, '');
  if (!BUCKET.test(bucket)) return `"${bucket}" is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`;
  if (key && !PREFIX.test(key)) return `the prefix "${key}" may only use letters, digits, ". _ = -" and single slashes`;
  return { bucket, prefix: key, endpoint };
}

/** The target for a parsed location; without an endpoint, AWS S3 itself (virtual-hosted, in AWS_REGION when given). */
export function s3Target(loc: S3Location, opts: { endpoint?: string | null; region?: string; credentials: S3Credentials | null }): S3Target {
  const endpoint = loc.endpoint ?? opts.endpoint ?? null;
  const suffix = loc.prefix ? `/${loc.prefix}` : '';
  const httpUrl = endpoint
    ? `${endpoint.replace(/\/+$/, '')}/${loc.bucket}${suffix}`
    : `https://${loc.bucket}.s3.${opts.region ? `${opts.region}.` : ''}amazonaws.com${suffix}`;
  return { kind: 's3', url: `s3://${loc.bucket}${suffix}`, httpUrl, credentials: opts.credentials };
}
