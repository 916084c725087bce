import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import { paths } from '../../topics/ground/paths';
import { managedProcess } from './managed-process';

/**
 * A throwaway MinIO (an S3-compatible store, built from source by
 * ops/setup/steps/50-test-minio.sh) for tests and development: a free loopback
 * port, a temporary data directory, known root credentials, and the few S3
 * calls a test needs to set up and read back, signed independently of
 * ClickHouse. Never part of `npm start`.
 */
export const minioVersion = () => fs.readFileSync(path.join(__dirname, 'minio.version'), 'utf8').trim();

export function minioBinary(cacheDir = paths().cache): string {
  return path.join(cacheDir, `minio-${minioVersion()}`, 'bin', 'minio');
}

export interface S3Object {
  key: string;
  size: number;
  lastModified: string;
}

export interface MinioServer {
  /** http://127.0.0.1:<port>, for path-style URLs. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  logFile: string;
  createBucket(bucket: string): Promise<void>;
  list(bucket: string, prefix?: string): Promise<S3Object[]>;
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'conveyor-test', secretAccessKey: 'conveyor-test-secret' };

export async function startMinio(opts: { buckets?: string[]; cacheDir?: string; startTimeoutMs?: number } = {}): Promise<MinioServer> {
  const binary = minioBinary(opts.cacheDir);
  if (!fs.existsSync(binary)) throw new Error(`MinIO missing at ${binary}: run "npm run setup" first.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-minio-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = managedProcess({
    name: 'minio',
    dir,
    command: binary,
    args: ['server', path.join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--quiet'],
    env: { ...process.env, MINIO_ROOT_USER: CREDENTIALS.accessKeyId, MINIO_ROOT_PASSWORD: CREDENTIALS.secretAccessKey, MINIO_BROWSER: 'off' },
    detached: false,
    startTimeoutMs: opts.startTimeoutMs ?? 30_000,
    async healthy() {
      return (await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1000) })).ok;
    },
  });
  const aws = new AwsClient({ ...CREDENTIALS, service: 's3', region: 'us-east-1' });
  const call = async (method: string, url: string): Promise<Response> => {
    const res = await aws.fetch(url, { method });
    if (!res.ok) throw new Error(`MinIO ${method} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };
  const server: MinioServer = {
    endpoint,
    ...CREDENTIALS,
    logFile: proc.logFile,
    async createBucket(bucket) {
      await call('PUT', `${endpoint}/${bucket}`);
    },
    async list(bucket, prefix = '') {
      const xml = await (await call('GET', `${endpoint}/${bucket}?list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`)).text();
      if (/<IsTruncated>true<\/IsTruncated>/.test(xml)) throw new Error('MinIO list: more than 1000 objects; this helper reads one page');
      return [...xml.matchAll(/<Contents>(.*?)<\/Contents>/gs)].map(([, c]) => ({
        key: xmlText(/<Key>(.*?)<\/Key>/s.exec(c!)?.[1] ?? ''),
        size: Number(/<Size>(\d+)<\/Size>/.exec(c!)?.[1]),
        lastModified: /<LastModified>(.*?)<\/LastModified>/.exec(c!)?.[1] ?? '',
      }));
    },
    async get(bucket, key) {
      const res = await call('GET', `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    async stop() {
      await proc.stop(5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await proc.start();
    for (const b of opts.buckets ?? []) await server.createBucket(b);
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const xmlText = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#34|#39);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', '#34': '"', '#39': "'" })[e]!);
