import { ConfigError } from '../topics/ground/env';
import { analyticsSettings } from './config';

const s3 = { EXPORT_S3_URL: 's3://conveyor-history/runs/v1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-example' };
const target = (e: NodeJS.ProcessEnv) => analyticsSettings({ CONVEYOR_STATE_DIR: '/srv/conveyor', ...e }).exportTarget;
const refusal = (e: NodeJS.ProcessEnv): ConfigError => {
  try {
    target(e);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('export target settings', () => {
  it('exports to a directory under the state dir by default, and to EXPORT_DIR when set', () => {
    expect(target({})).toEqual({ kind: 'directory', dir: '/srv/conveyor/export' });
    expect(target({ EXPORT_DIR: '/data/parquet' })).toEqual({ kind: 'directory', dir: '/data/parquet' });
  });

  it('exports to AWS S3 for an s3:// URL, in AWS_REGION when given', () => {
    expect(target(s3)).toMatchObject({ kind: 's3', url: 's3://conveyor-history/runs/v1', httpUrl: 'https://conveyor-history.s3.amazonaws.com/runs/v1' });
    expect(target({ ...s3, AWS_REGION: 'eu-west-1' })).toMatchObject({ httpUrl: 'https://conveyor-history.s3.eu-west-1.amazonaws.com/runs/v1' });
  });

  it('reaches an S3-compatible store path-style through EXPORT_S3_ENDPOINT or an http(s) URL', () => {
    const viaEndpoint = target({ ...s3, EXPORT_S3_ENDPOINT: 'http://127.0.0.1:9000/' });
    const viaUrl = target({ ...s3, EXPORT_S3_URL: 'http://127.0.0.1:9000/conveyor-history/runs/v1/' });
    expect(viaEndpoint).toMatchObject({ kind: 's3', url: 's3://conveyor-history/runs/v1', httpUrl: 'http://127.0.0.1:9000/conveyor-history/runs/v1' });
    expect(viaUrl).toEqual(viaEndpoint);
    expect(target({ ...s3, EXPORT_S3_URL: 's3://conveyor-history', EXPORT_S3_ENDPOINT: 'https://minio.internal' })).toMatchObject({
      url: 's3://conveyor-history',
      httpUrl: 'https://minio.internal/conveyor-history',
    });
  });

  it('keeps the credentials out of anything printed', () => {
    const t = target(s3);
    expect(t.kind === 's3' && t.credentials?.secretAccessKey.reveal()).toBe('wJalrXUtnFEMI-example');
    expect(JSON.stringify(analyticsSettings(s3))).not.toContain('wJalrXUtnFEMI-example');
    expect(String(t.kind === 's3' && t.credentials?.secretAccessKey)).toBe('[hidden]');
  });

  it.each([
    ['ftp://conveyor-history/runs', /must be s3:\/\/bucket\/prefix/],
    ['conveyor-history/runs', /must be s3:\/\/bucket\/prefix/],
    ['s3://Conveyor_History/runs', /not an S3 bucket name/],
    ['s3://ab/runs', /not an S3 bucket name/],
    ['s3://conveyor-history/runs/*', /prefix .* may only use/],
    ['s3://conveyor-history/runs//v1', /prefix .* may only use/],
    ["s3://conveyor-history/it's", /prefix .* may only use/],
    ['s3://conveyor-history/runs?versionId=1', /query string/],
    ['https://key:secret@s3.example.net/conveyor-history', /must not carry credentials/],
  ])('refuses EXPORT_S3_URL=%s, naming the variable', (url, problem) => {
    const err = refusal({ ...s3, EXPORT_S3_URL: url });
    expect(err.variable).toBe('EXPORT_S3_URL');
    expect(err.message).toMatch(/^EXPORT_S3_URL: /);
    expect(err.message).toMatch(problem);
  });

  it('refuses settings that contradict each other, naming the variable to fix', () => {
    expect(refusal({ ...s3, EXPORT_DIR: '/data/parquet' }).message).toMatch(/^EXPORT_S3_URL: and EXPORT_DIR are both set/);
    expect(refusal({ ...s3, AWS_SECRET_ACCESS_KEY: '' }).variable).toBe('AWS_SECRET_ACCESS_KEY');
    expect(refusal({ ...s3, AWS_ACCESS_KEY_ID: undefined }).variable).toBe('AWS_ACCESS_KEY_ID');
    expect(refusal({ EXPORT_S3_ENDPOINT: 'http://127.0.0.1:9000' }).message).toMatch(/^EXPORT_S3_ENDPOINT: is set but EXPORT_S3_URL is not/);
    expect(refusal({ ...s3, EXPORT_S3_URL: 'http://127.0.0.1:9000/b-1/x', EXPORT_S3_ENDPOINT: 'http://127.0.0.1:9001' }).variable).toBe('EXPORT_S3_ENDPOINT');
    expect(refusal({ ...s3, EXPORT_S3_ENDPOINT: 'http://127.0.0.1:9000/bucket' }).message).toMatch(/^EXPORT_S3_ENDPOINT: must be http\(s\):\/\/host\[:port\]/);
    expect(refusal({ ...s3, AWS_REGION: 'EU West' }).variable).toBe('AWS_REGION');
  });

  it('ignores the AWS variables when the export goes to a directory', () => {
    expect(target({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' })).toEqual({ kind: 'directory', dir: '/srv/conveyor/export' });
  });

  it("gathers the sink's rows for 3 s by default, and refuses a flush interval or group id it cannot use", () => {
    const base = { CONVEYOR_STATE_DIR: '/srv/conveyor' };
    expect(analyticsSettings(base)).toMatchObject({ sinkFlushMs: 6000, sinkGroupId: undefined });
    expect(analyticsSettings({ ...base, SINK_FLUSH_MS: '500', SINK_GROUP_ID: 'conveyor-sink-bench' })).toMatchObject({ sinkFlushMs: 500, sinkGroupId: 'conveyor-sink-bench' });
    expect(() => analyticsSettings({ ...base, SINK_FLUSH_MS: '10' })).toThrow(/SINK_FLUSH_MS/);
    expect(() => analyticsSettings({ ...base, SINK_GROUP_ID: 'a group' })).toThrow(/SINK_GROUP_ID: must be a Kafka consumer group id/);
  });
});
