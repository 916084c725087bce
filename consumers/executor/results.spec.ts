import avro from 'avsc';
import { loadSchema, topics } from '../../topics/catalog';
import type { RunResultRecord, StageResultRecord } from '../../topics/types';
import { clipUtf8, fitResult, unpublishableResult } from './results';

const stage = (stdout: string, stderr: string): StageResultRecord => ({
  status: 'output_limit', stdout, stderr, exitCode: null, signal: 'SIGKILL', wallMs: 1, cpuMs: 1, peakMemoryBytes: 1, stdoutTruncated: false, stderrTruncated: false,
});
const result = (compile: StageResultRecord | null, run: StageResultRecord | null): RunResultRecord => ({
  runId: 'r', sessionId: 's', userId: 'u', replyTo: 'gw', source: 'rest', language: 'python', languageVersion: '3.11', dependencySet: 'python-3.11-std',
  hardwareClass: 'x86_64', programVersion: 1, status: 'output_limit', message: 'm'.repeat(100_000), requestedAtMs: 1, startedAtMs: 1, finishedAtMs: 2,
  compile, run, cacheHit: false, pooled: false, sourceBytes: 1, fileCount: 1, executorId: 'e', attempt: 1, outputChunks: 0,
});
const type = avro.Type.forSchema(loadSchema(topics.results) as avro.Schema);
const MiB = 1024 * 1024;

describe('results that fit their topic', () => {
  it('keeps a small result as it is, but a long message is clipped', () => {
    const r = result(null, stage('hi', ''));
    const fitted = fitResult(r, topics.results.maxRecordBytes);
    expect(fitted.run).toEqual(r.run);
    expect(Buffer.byteLength(fitted.message!)).toBeLessThanOrEqual(8192);
  });

  it('bounds four streams of 16 MiB, and invalid UTF-8 decoded threefold, below the topic limit and flags what it cut', () => {
    const garbage = '\ufffd'.repeat(6 * MiB);
    const r = result(stage('c'.repeat(16 * MiB), 'small'), stage(garbage, 'e'.repeat(16 * MiB)));
    const fitted = fitResult(r, topics.results.maxRecordBytes);
    const bytes = type.toBuffer(fitted).length + 5;
    expect(bytes).toBeLessThan(topics.results.maxRecordBytes);
    expect(fitted.compile!.stderr).toBe('small');
    expect(fitted.compile!.stdoutTruncated).toBe(true);
    expect(fitted.run!.stdoutTruncated && fitted.run!.stderrTruncated).toBe(true);
    // The room is shared: nothing is cut to nothing while another keeps megabytes.
    expect(Buffer.byteLength(fitted.run!.stdout)).toBeGreaterThan(MiB);
  });

  it('clips at a character boundary', () => {
    expect(clipUtf8('aé', 2)).toBe('a');
    expect(clipUtf8('aé', 3)).toBe('aé');
    expect(clipUtf8('😀😀', 5)).toBe('😀');
  });

  it('answers a result that cannot be published with internal_error, its usage and no output', () => {
    const r = unpublishableResult(result(null, stage('out', 'err')), 'The broker refused it.');
    expect(r).toMatchObject({ status: 'internal_error', message: 'The result could not be published: The broker refused it.', run: { stdout: '', stderr: '', stdoutTruncated: true, wallMs: 1 } });
  });
});
