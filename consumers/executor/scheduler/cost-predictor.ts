import type { Prediction, PredictionBasis } from './types';

/**
 * Predicted slot time of a run, compile and run stage apart, learned from the
 * executor's own results (co-partitioning sends a session's runs to the same
 * executor, so its history is here). Most specific first: the same program
 * text, then the session's earlier runs, then language + dependency set. A
 * program that compiled before is expected to hit the content-addressed
 * compile cache, so its compile stage costs what a hit costs in its class.
 * Lookups are a few Map reads; tables are bounded (oldest entry dropped).
 *
 * Costs are slot wall time (start to finish in a slot), not CPU alone: a
 * program that sleeps holds its slot all the same.
 */
export interface CostKey {
  language: string;
  dependencySet: string;
  sourceHash?: string;
  sessionId?: string;
}

export interface CostOutcome extends CostKey {
  /** Slot time of the compile stage (0 for interpreted languages and cache hits). */
  compileMs: number;
  runMs: number;
  cacheHit: boolean;
  /** A compile stage succeeded: the artifact is now in the compile cache. */
  compiled: boolean;
}

export interface CostPredictorOptions {
  /** Prediction for a language + dependency set never seen (ms, whole run). */
  priorMs?: number;
  /** Weight of the newest observation of the same program or session. */
  alpha?: number;
  maxEntries?: number;
}

interface Estimate { compileMs: number; runMs: number; n: number }
interface SourceEstimate extends Estimate { compiled: boolean }
interface ClassEstimate { run: LogMean; compileMiss: LogMean; compileHit: LogMean }

/** A geometric mean with exponential forgetting: one multi-second run does not make a class look slow. */
class LogMean {
  private log = 0;
  private weight = 0;
  constructor(private readonly decay: number) {}
  add(ms: number) {
    this.log = this.log * (1 - this.decay) + Math.log1p(Math.max(0, ms)) * this.decay;
    this.weight = this.weight * (1 - this.decay) + this.decay;
  }
  get known() {
    return this.weight > 0;
  }
  get value() {
    return this.weight > 0 ? Math.expm1(this.log / this.weight) : 0;
  }
}

function bounded<K, V>(m: Map<K, V>, key: K, value: V, max: number) {
  m.delete(key);
  m.set(key, value);
  if (m.size > max) m.delete(m.keys().next().value as K);
}

export function createCostPredictor(opts: CostPredictorOptions = {}) {
  const priorMs = opts.priorMs ?? 200;
  const alpha = opts.alpha ?? 0.5;
  const max = opts.maxEntries ?? 50000;
  const sources = new Map<string, SourceEstimate>();
  const sessions = new Map<string, Estimate>();
  const classes = new Map<string, ClassEstimate>();
  const classOf = (k: CostKey) => `${k.language}|${k.dependencySet}`;
  const ewma = (old: number, v: number) => old * (1 - alpha) + v * alpha;

  function learned(prev: Estimate | undefined, o: CostOutcome): Estimate {
    if (!prev) return { compileMs: o.compileMs, runMs: o.runMs, n: 1 };
    return { compileMs: ewma(prev.compileMs, o.compileMs), runMs: ewma(prev.runMs, o.runMs), n: prev.n + 1 };
  }

  return {
    predict(k: CostKey): Prediction {
      const cls = classes.get(classOf(k));
      const src = k.sourceHash ? sources.get(k.sourceHash) : undefined;
      const ses = k.sessionId ? sessions.get(k.sessionId) : undefined;
      const cacheHitExpected = !!src?.compiled;
      const hitCompile = cls?.compileHit.known ? cls.compileHit.value : 0;
      let basis: PredictionBasis;
      let runMs: number;
      let compileMs: number;
      if (src) {
        basis = 'source';
        runMs = src.runMs;
        compileMs = cacheHitExpected ? hitCompile : src.compileMs;
      } else if (ses) {
        basis = 'session';
        runMs = ses.runMs;
        compileMs = ses.compileMs;
      } else if (cls?.run.known) {
        basis = 'class';
        runMs = cls.run.value;
        compileMs = cls.compileMiss.known ? cls.compileMiss.value : 0;
      } else {
        basis = 'prior';
        runMs = priorMs;
        compileMs = 0;
      }
      return { compileMs, runMs, totalMs: compileMs + runMs, basis, cacheHitExpected };
    },

    learn(o: CostOutcome) {
      if (o.sourceHash) {
        const prev = sources.get(o.sourceHash);
        // A cache hit says nothing new about a miss's compile time: keep the compile estimate.
        const next = learned(prev, o.cacheHit && prev ? { ...o, compileMs: prev.compileMs } : o);
        bounded(sources, o.sourceHash, { ...next, compiled: o.compiled || o.cacheHit || !!prev?.compiled }, max);
      }
      if (o.sessionId) bounded(sessions, o.sessionId, learned(sessions.get(o.sessionId), o), max);
      const key = classOf(o);
      let cls = classes.get(key);
      if (!cls) {
        cls = { run: new LogMean(0.1), compileMiss: new LogMean(0.1), compileHit: new LogMean(0.1) };
        bounded(classes, key, cls, 10000);
      }
      cls.run.add(o.runMs);
      (o.cacheHit ? cls.compileHit : cls.compileMiss).add(o.compileMs);
    },

    size: () => ({ sources: sources.size, sessions: sessions.size, classes: classes.size }),
  };
}
export type CostPredictor = ReturnType<typeof createCostPredictor>;
