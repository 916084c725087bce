import net from 'node:net';
import { decompress } from 'fzstd';
import { analyticsSettings } from '../../analytics/config';
import { exportDay, exportFinishedDays } from '../../analytics/export';
import { ExportError, type ExportTarget, type S3Target } from '../../analytics/export-target';
import { migrate } from '../../analytics/migrations';
import { openWarehouse, type Warehouse } from '../../analytics/warehouse';
import { Secret } from '../../topics/ground/secret';
import { startMinio, type MinioServer } from '../../ops/infra/minio';
import { insertRuns, tmpDir } from './fixtures';

// The export is written by ClickHouse's s3() to a real MinIO and read back
// without ClickHouse: objects listed over the S3 API, Parquet decoded by hyparquet.
const BUCKET = 'conveyor-export';
const PREFIX = 'history/runs';
const NOW = Date.UTC(2026, 2, 15, 9, 30);
const D1 = Date.UTC(2026, 2, 12, 10);
const D2 = Date.UTC(2026, 2, 14, 23, 59);
let minio: MinioServer;
let wh: Warehouse;
let target: S3Target;
let seq = 0;

async function addRuns(at: number, n: number): Promise<void> {
  await insertRuns(wh, 's3', at, n, seq);
  seq += n;
}

async function sourceCounts(): Promise<Record<string, number>> {
  const rows = await wh.query<{ day: string; n: string }>("SELECT toString(toDate(requested_at)) AS day, count() AS n FROM runs FINAL WHERE toDate(requested_at) < '2026-03-15' GROUP BY day");
  return Object.fromEntries(rows.map((r) => [r.day, Number(r.n)]));
}

/** Rows, distinct run ids and column names of one exported object, decoded outside ClickHouse. */
async function readParquet(key: string): Promise<{ rows: number; runIds: number; columns: string[] }> {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const bytes = await minio.get(BUCKET, key);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const meta = parquetMetadata(file);
  const ids = await parquetReadObjects({ file, columns: ['run_id'], compressors: { ZSTD: (input: Uint8Array, size: number) => decompress(input, new Uint8Array(size)) } });
  return { rows: Number(meta.num_rows), runIds: new Set(ids.map((r) => r.run_id)).size, columns: meta.schema.slice(1).map((c) => c.name) };
}

async function manifest(key: string): Promise<Record<string, unknown>> {
  return JSON.parse(Buffer.from(await minio.get(BUCKET, key)).toString('utf8'));
}

const dayKey = (d: string, name: string) => `${PREFIX}/year=2026/month=03/day=${d}/${name}`;

beforeAll(async () => {
  minio = await startMinio({ buckets: [BUCKET] });
  target = analyticsSettings({
    EXPORT_S3_URL: `s3://${BUCKET}/${PREFIX}`,
    EXPORT_S3_ENDPOINT: minio.endpoint,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
  }).exportTarget as S3Target;
  wh = await openWarehouse({ dataDir: tmpDir('export-s3-ch') });
  await migrate(wh);
  await addRuns(D1, 120);
  await addRuns(D2, 80);
  await addRuns(NOW - 1000, 10); // today: not finished, not exported
});
afterAll(async () => {
  await wh?.close();
  await minio?.stop();
});

describe('Parquet export of finished days to S3', () => {
  it('writes each finished day to year=/month=/day= objects whose rows an independent reader counts back', async () => {
    expect(target).toMatchObject({ kind: 's3', url: `s3://${BUCKET}/${PREFIX}` });
    const days = await exportFinishedDays(wh, target, { now: NOW, lookbackDays: 7 });
    expect(days).toEqual([
      { day: '2026-03-12', rows: 120, file: `s3://${BUCKET}/${dayKey('12', 'runs.parquet')}` },
      { day: '2026-03-14', rows: 80, file: `s3://${BUCKET}/${dayKey('14', 'runs.parquet')}` },
    ]);

    const objects = await minio.list(BUCKET, `${PREFIX}/`);
    expect(objects.map((o) => o.key).sort()).toEqual([dayKey('12', '_SUCCESS'), dayKey('12', 'runs.parquet'), dayKey('14', '_SUCCESS'), dayKey('14', 'runs.parquet')]);

    const source = await sourceCounts();
    expect(source).toEqual({ '2026-03-12': 120, '2026-03-14': 80 });
    for (const [day, d] of [['2026-03-12', '12'], ['2026-03-14', '14']] as const) {
      const back = await readParquet(dayKey(d, 'runs.parquet'));
      expect({ day, rows: back.rows, runIds: back.runIds }).toEqual({ day, rows: source[day], runIds: source[day] });
      expect(back.columns).toEqual(expect.arrayContaining(['run_id', 'requested_at', 'hardware_class', 'dependency_set', 'cpu_ms', 'status']));
      expect(back.columns).not.toContain('kafka_offset');
      expect(await manifest(dayKey(d, '_SUCCESS'))).toMatchObject({ day, rows: source[day] });
      const at = (name: string) => Date.parse(objects.find((o) => o.key === dayKey(d, name))!.lastModified);
      expect(at('_SUCCESS')).toBeGreaterThanOrEqual(at('runs.parquet'));
    }
  });

  it('overwrites a day when it is exported again, without doubling its rows', async () => {
    await addRuns(D1 + 5000, 5);
    const again = await exportDay(wh, target, '2026-03-12');
    expect(again.rows).toBe(125);
    expect((await minio.list(BUCKET, `${PREFIX}/year=2026/month=03/day=12/`)).map((o) => o.key).sort()).toEqual([dayKey('12', '_SUCCESS'), dayKey('12', 'runs.parquet')]);
    expect(await readParquet(dayKey('12', 'runs.parquet'))).toMatchObject({ rows: 125, runIds: 125 });
    expect(await manifest(dayKey('12', '_SUCCESS'))).toMatchObject({ day: '2026-03-12', rows: 125 });
  });

  it('reports refused credentials as export_access_denied, without the secret, and leaves the exported day as it was', async () => {
    const wrong = 'not-the-secret-8f3a1c';
    const bad: ExportTarget = { ...target, credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: new Secret(wrong), sessionToken: null } };
    const err = await exportDay(wh, bad, '2026-03-12').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect(err).toMatchObject({ code: 'export_access_denied', message: expect.stringContaining('AWS_SECRET_ACCESS_KEY') });
    expect((err as Error).message).toContain(`s3://${BUCKET}/${PREFIX}`);
    expect((err as Error).message).not.toContain(wrong);
    expect(await readParquet(dayKey('12', 'runs.parquet'))).toMatchObject({ rows: 125 });
  });

  it('names a missing bucket and gives up on an unreachable store within seconds', async () => {
    const missing = await exportDay(wh, { ...target, url: 's3://no-such-bucket', httpUrl: `${minio.endpoint}/no-such-bucket` }, '2026-03-14').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'export_failed', message: expect.stringMatching(/bucket does not exist/) });

    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const t0 = Date.now();
    const unreachable = await exportDay(wh, { ...target, httpUrl: `http://127.0.0.1:${closed}/${BUCKET}/${PREFIX}` }, '2026-03-14').catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: 'export_failed', message: expect.stringMatching(/Connection refused/i) });
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
