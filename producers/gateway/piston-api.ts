import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Router } from 'express';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { RunResultRecord, StageResultRecord } from '../../topics/types';
import type { Catalog } from './runtime-catalog';
import { mainFileOf } from '../../runtimes/languages';
import { idempotentRunId } from './idempotency';
import { ApiError } from './errors';
import type { RateLimiter } from './rate-limiter';
import type { RunRouter } from './run-router';
import type { RunParams, RunService } from './run-service';
import { clientOf } from './client-key';
import type { GatewaySettings } from './settings';
import { heldJsonSender, type Corkable, type WriteCoalescer } from './write-coalescer';

/**
 * Piston v2 compatibility: existing Piston clients work unchanged against
 * /api/v2/runtimes, /api/v2/execute and the interactive /api/v2/connect.
 * This file only translates between Piston's shapes and the run service.
 */
const pistonFile = z.object({ name: z.string().max(128).optional(), content: z.string(), encoding: z.enum(['utf8', 'base64', 'hex']).optional() });
export const pistonJob = z.object({
  language: z.string({ message: 'language is required as a string' }).min(1),
  version: z.string({ message: 'version is required as a string' }).min(1),
  files: z.array(pistonFile, { message: 'files is required as an array' }).min(1, 'files must contain at least one file'),
  stdin: z.string().optional(),
  args: z.array(z.string()).optional(),
  compile_timeout: z.number().optional(),
  run_timeout: z.number().optional(),
  compile_cpu_time: z.number().optional(),
  run_cpu_time: z.number().optional(),
  compile_memory_limit: z.number().optional(),
  run_memory_limit: z.number().optional(),
});
type PistonJob = z.infer<typeof pistonJob>;

const positive = (v: number | undefined) => (v !== undefined && v >= 0 ? v : undefined);

export function jobParams(job: PistonJob): RunParams {
  return {
    stdin: job.stdin, args: job.args,
    limits: {
      compile: { wallMs: positive(job.compile_timeout), cpuMs: positive(job.compile_cpu_time), memoryBytes: positive(job.compile_memory_limit) },
      run: { wallMs: positive(job.run_timeout), cpuMs: positive(job.run_cpu_time), memoryBytes: positive(job.run_memory_limit) },
    },
  };
}

export function jobFiles(job: PistonJob, language: string) {
  return job.files.map((f, i) => ({
    name: f.name || (i === 0 ? mainFileOf(language) : `file${i}.code`),
    content: f.encoding && f.encoding !== 'utf8' ? Buffer.from(f.content, f.encoding).toString('utf8') : f.content,
  }));
}

/** Piston's per-stage object. */
export function pistonStage(s: StageResultRecord) {
  const statusOf: Record<string, string | null> = { ok: null, runtime_error: s.signal ? 'SG' : 'RE', compile_error: 'RE', time_limit: 'TO', memory_limit: 'SG', output_limit: s.stdoutTruncated ? 'OL' : 'EL', internal_error: 'XX', cancelled: 'SG' };
  return {
    stdout: s.stdout, stderr: s.stderr, output: s.stdout + s.stderr, code: s.exitCode, signal: s.signal,
    message: s.status === 'ok' ? null : s.status.replace('_', ' '), status: statusOf[s.status] ?? null,
    cpu_time: s.cpuMs, wall_time: s.wallMs, memory: s.peakMemoryBytes,
  };
}

export function pistonResult(r: RunResultRecord) {
  const out: Record<string, unknown> = { language: r.language, version: r.languageVersion };
  if (r.compile) out.compile = pistonStage(r.compile);
  // A compile-cache hit skipped the compiler; Piston clients still expect a compile stage.
  else if (r.cacheHit) out.compile = { stdout: '', stderr: '', output: '', code: 0, signal: null, message: null, status: null, cpu_time: 0, wall_time: 0, memory: 0 };
  if (r.run) out.run = pistonStage(r.run);
  else if (!r.compile || r.compile.status === 'ok') {
    out.run = { stdout: '', stderr: r.message ?? '', output: r.message ?? '', code: null, signal: null, message: r.message, status: 'XX', cpu_time: 0, wall_time: 0, memory: 0 };
  }
  return out;
}

function resolveJob(catalog: Catalog, job: PistonJob) {
  try {
    return catalog.resolve(job.language, job.version === '*' ? undefined : job.version);
  } catch (err) {
    if (err instanceof ApiError) throw new ApiError(400, err.code, `${job.language}-${job.version} runtime is unknown`);
    throw err;
  }
}

export function pistonApi(deps: { catalog: Catalog; runs: RunService; limiter: RateLimiter; settings: GatewaySettings }) {
  const { catalog, runs, limiter, settings } = deps;
  const r = Router();
  r.get('/runtimes', (_req, res) => {
    res.json(catalog.runtimes().map((i) => ({ language: i.language, version: i.version, aliases: i.aliases, ...(i.language === 'typescript' || i.language === 'javascript' ? { runtime: 'node' } : {}) })));
  });
  r.post('/execute', async (req, res) => {
    const parsed = pistonJob.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'invalid_request', parsed.error.issues[0]!.message);
    limiter.take(clientOf(req), 'run', settings.RATE_RUNS_PER_MINUTE / 60, settings.RATE_RUNS_BURST);
    const job = parsed.data;
    const runtime = resolveJob(catalog, job);
    let resolveResult!: (r: RunResultRecord) => void;
    const done = new Promise<RunResultRecord>((resolve) => (resolveResult = resolve));
    const runId = idempotentRunId(req, clientOf(req), req.body);
    await runs.runFiles(clientOf(req), runtime, jobFiles(job, runtime.language), { ...jobParams(job), streamOutput: false, runId }, 'piston', { onResult: resolveResult });
    res.json(pistonResult(await done));
  });
  return r;
}

/** A signal the program can be sent (Piston's list is the platform's signals). */
export const isSignalName = (name: string) => /^SIG[A-Z0-9]+$/.test(name) && name in os.constants.signals;

/** Piston's interactive WebSocket: init, stdin data, signals; stage/data/exit events; its close codes. */
export function handlePistonConnect(ws: WebSocket, client: string, deps: { catalog: Catalog; runs: RunService; router: RunRouter; settings: GatewaySettings; coalescer?: WriteCoalescer }, socket?: Corkable) {
  let runId: string | null = null;
  let submitted: Promise<unknown> = Promise.resolve();
  const stages = new Set<string>();
  const send = heldJsonSender(ws, socket, deps.coalescer);
  const initTimer = setTimeout(() => ws.close(4001, 'Initialization Timeout'), 1000);
  const stage = (s: string) => {
    if (!stages.has(s)) {
      stages.add(s);
      send({ type: 'stage', stage: s });
    }
  };

  ws.on('message', async (raw) => {
    let msg: { type?: string; stream?: string; data?: string; signal?: string };
    try {
      msg = JSON.parse(raw.toString()) as typeof msg;
    } catch {
      send({ type: 'error', message: 'Invalid JSON' });
      return ws.close(4002, 'Notified Error');
    }
    try {
      if (msg.type === 'init') {
        if (runId) return ws.close(4000, 'Already Initialized');
        clearTimeout(initTimer);
        const parsed = pistonJob.safeParse(msg);
        if (!parsed.success) throw new ApiError(400, 'invalid_request', parsed.error.issues[0]!.message);
        const runtime = resolveJob(deps.catalog, parsed.data);
        // The id is known before the request is sent, so stdin that follows "runtime" at once finds the run.
        runId = `r-${randomUUID()}`;
        send({ type: 'runtime', language: runtime.language, version: runtime.version });
        submitted = deps.runs.runFiles(client, runtime, jobFiles(parsed.data, runtime.language), { ...jobParams(parsed.data), runId }, 'piston_connect', {
          onOutput: (o) => {
            stage(o.stage);
            // A chunk without data marks the start of a stage.
            if (o.data) send({ type: 'data', stream: o.stream, data: o.data });
          },
          onResult: (r) => {
            for (const [name, s] of [['compile', r.compile], ['run', r.run]] as const) {
              if (!s) continue;
              stage(name);
              send({ type: 'exit', stage: name, code: s.exitCode, signal: s.signal });
            }
            ws.close(4999, 'Job Completed');
          },
        });
        await submitted;
      } else if (msg.type === 'data') {
        if (!runId) return ws.close(4003, 'Not yet Initialized');
        if (msg.stream !== 'stdin') return ws.close(4004, 'Can only write to stdin');
        await submitted;
        await deps.router.control(runId, 'stdin', String(msg.data ?? ''));
      } else if (msg.type === 'signal') {
        if (!runId) return ws.close(4003, 'Not yet Initialized');
        if (!isSignalName(String(msg.signal))) return ws.close(4005, 'Invalid signal');
        await submitted;
        await deps.router.control(runId, 'signal', '', String(msg.signal));
      } else {
        send({ type: 'error', message: `Unknown message type ${JSON.stringify(msg.type)}` });
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).message });
      ws.close(4002, 'Notified Error');
    }
  });
  ws.on('close', () => clearTimeout(initTimer));
}
