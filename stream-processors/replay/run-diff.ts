import type { RunResultRecord } from '../../topics/types';

/**
 * How a replayed run compares with the recorded one. Pure. A run is
 * non-deterministic when the recorded result and a second baseline execution
 * (same toolchain, same hardware) already differ: its candidate outcome says
 * nothing about the candidate, so it is reported apart, never as a regression.
 */
export type RunClass = 'same' | 'changed' | 'nondeterministic' | 'incomplete';

export interface RunDiff {
  runId: string;
  sessionId: string;
  language: string;
  dependencySet: string;
  programVersion: number;
  classification: RunClass;
  statusChanged: boolean;
  outputChanged: boolean;
  /** Changed even when runs of whitespace are collapsed and lines trimmed. */
  outputChangedModuloWhitespace: boolean;
  diagnosticsChanged: boolean;
  baselineStatus: string;
  candidateStatus: string;
  /** Candidate CPU time over the recorded run's (compile + run); null when the recorded one used none. */
  cpuRatio: number | null;
  memoryRatio: number | null;
  /** Why the run is incomplete (no result in time, program not rebuildable). */
  note: string;
}

const output = (r: RunResultRecord) => `${r.run?.stdout ?? ''}\u0000${r.run?.stderr ?? ''}`;
const squash = (s: string) => s.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
const squashed = (r: RunResultRecord) => `${squash(r.run?.stdout ?? '')}\u0000${squash(r.run?.stderr ?? '')}`;
// Compile diagnostics name the sandbox's work directory; it is the same in every sandbox, but temp names are not.
const diagnostics = (r: RunResultRecord) => (r.compile?.stderr ?? '').replace(/\/tmp\/[A-Za-z0-9._-]+/g, '/tmp/…');
const cpu = (r: RunResultRecord) => (r.compile?.cpuMs ?? 0) + (r.run?.cpuMs ?? 0);
const memory = (r: RunResultRecord) => Math.max(r.compile?.peakMemoryBytes ?? 0, r.run?.peakMemoryBytes ?? 0);
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

export function differs(a: RunResultRecord, b: RunResultRecord): boolean {
  return a.status !== b.status || output(a) !== output(b) || diagnostics(a) !== diagnostics(b);
}

export function diffRun(recorded: RunResultRecord, baseline: RunResultRecord | null, candidate: RunResultRecord | null, note = ''): RunDiff {
  const base = {
    runId: recorded.runId, sessionId: recorded.sessionId, language: recorded.language, dependencySet: recorded.dependencySet,
    programVersion: recorded.programVersion, baselineStatus: recorded.status,
  };
  if (!candidate || !baseline) {
    return {
      ...base, classification: 'incomplete', statusChanged: false, outputChanged: false, outputChangedModuloWhitespace: false, diagnosticsChanged: false,
      candidateStatus: candidate?.status ?? 'none', cpuRatio: null, memoryRatio: null, note: note || (candidate ? 'no second baseline result in time' : 'no candidate result in time'),
    };
  }
  const statusChanged = candidate.status !== recorded.status;
  const outputChanged = output(candidate) !== output(recorded);
  const outputChangedModuloWhitespace = squashed(candidate) !== squashed(recorded);
  const diagnosticsChanged = diagnostics(candidate) !== diagnostics(recorded);
  const nondeterministic = differs(recorded, baseline);
  return {
    ...base,
    classification: nondeterministic ? 'nondeterministic' : statusChanged || outputChanged || diagnosticsChanged ? 'changed' : 'same',
    statusChanged, outputChanged, outputChangedModuloWhitespace, diagnosticsChanged,
    candidateStatus: candidate.status,
    cpuRatio: ratio(cpu(candidate), cpu(recorded)),
    memoryRatio: ratio(memory(candidate), memory(recorded)),
    // An engine failure is not the program's behaviour: say what failed.
    note: note || [baseline, candidate].filter((r) => r.status === 'internal_error').map((r) => r.message ?? 'internal error').join('; '),
  };
}

export interface ReplayTotals {
  runs: number;
  same: number;
  changed: number;
  nondeterministic: number;
  incomplete: number;
  statusChanged: number;
  outputChanged: number;
  outputChangedModuloWhitespace: number;
  diagnosticsChanged: number;
  cpuRatioMedian: number | null;
  cpuRatioP99: number | null;
  memoryRatioMedian: number | null;
}

function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Totals over the deterministic runs' changes; non-deterministic and incomplete runs are counted apart. */
export function totals(diffs: RunDiff[]): ReplayTotals {
  const det = diffs.filter((d) => d.classification === 'same' || d.classification === 'changed');
  const count = (f: (d: RunDiff) => boolean) => det.filter(f).length;
  const cpu = det.map((d) => d.cpuRatio).filter((x): x is number => x !== null);
  const mem = det.map((d) => d.memoryRatio).filter((x): x is number => x !== null);
  return {
    runs: diffs.length,
    same: count((d) => d.classification === 'same'),
    changed: count((d) => d.classification === 'changed'),
    nondeterministic: diffs.filter((d) => d.classification === 'nondeterministic').length,
    incomplete: diffs.filter((d) => d.classification === 'incomplete').length,
    statusChanged: count((d) => d.statusChanged),
    outputChanged: count((d) => d.outputChanged),
    outputChangedModuloWhitespace: count((d) => d.outputChangedModuloWhitespace),
    diagnosticsChanged: count((d) => d.diagnosticsChanged),
    cpuRatioMedian: quantile(cpu, 0.5),
    cpuRatioP99: quantile(cpu, 0.99),
    memoryRatioMedian: quantile(mem, 0.5),
  };
}
