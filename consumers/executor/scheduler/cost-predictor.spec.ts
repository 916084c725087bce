import { createCostPredictor } from './cost-predictor';

const py = { language: 'python', dependencySet: 'python-3.11-std' };
const cpp = { language: 'c++', dependencySet: 'cpp-gcc12-std' };

describe('cost predictor', () => {
  it('predicts the same program text from its own earlier runs before anything else', () => {
    const p = createCostPredictor();
    p.learn({ ...py, sourceHash: 'slow', sessionId: 's1', compileMs: 0, runMs: 3000, cacheHit: false, compiled: false });
    p.learn({ ...py, sourceHash: 'hello', sessionId: 's2', compileMs: 0, runMs: 20, cacheHit: false, compiled: false });
    expect(p.predict({ ...py, sourceHash: 'slow' })).toMatchObject({ totalMs: 3000, basis: 'source' });
    expect(p.predict({ ...py, sourceHash: 'hello' })).toMatchObject({ totalMs: 20, basis: 'source' });
  });

  it('falls back to the session, then the class, then the prior', () => {
    const p = createCostPredictor({ priorMs: 150 });
    expect(p.predict({ ...py, sourceHash: 'x' })).toMatchObject({ totalMs: 150, basis: 'prior' });
    p.learn({ ...py, sourceHash: 'a', sessionId: 's1', compileMs: 0, runMs: 1000, cacheHit: false, compiled: false });
    expect(p.predict({ ...py, sourceHash: 'b', sessionId: 's1' })).toMatchObject({ totalMs: 1000, basis: 'session' });
    expect(p.predict({ ...py, sourceHash: 'c', sessionId: 's9' }).basis).toBe('class');
  });

  it('gives a class the geometric mean of its runs, so one multi-second run does not make every unknown program look long', () => {
    const p = createCostPredictor();
    for (let i = 0; i < 9; i++) p.learn({ ...py, sourceHash: `h${i}`, compileMs: 0, runMs: 20, cacheHit: false, compiled: false });
    p.learn({ ...py, sourceHash: 'long', compileMs: 0, runMs: 5000, cacheHit: false, compiled: false });
    const unknown = p.predict({ ...py, sourceHash: 'new' });
    expect(unknown.basis).toBe('class');
    expect(unknown.totalMs).toBeLessThan(100);
  });

  it('knows a program that compiled before is a compile-cache hit and predicts the cheap compile stage', () => {
    const p = createCostPredictor();
    p.learn({ ...cpp, sourceHash: 'other', compileMs: 0, runMs: 5, cacheHit: true, compiled: false });
    p.learn({ ...cpp, sourceHash: 'prog', compileMs: 400, runMs: 10, cacheHit: false, compiled: true });
    const again = p.predict({ ...cpp, sourceHash: 'prog' });
    expect(again.cacheHitExpected).toBe(true);
    expect(again.compileMs).toBe(0);
    expect(again.runMs).toBe(10);
    const fresh = p.predict({ ...cpp, sourceHash: 'unseen' });
    expect(fresh.cacheHitExpected).toBe(false);
    expect(fresh.compileMs).toBeGreaterThan(300);
  });

  it('follows a program whose cost changed instead of holding its first prediction', () => {
    const p = createCostPredictor();
    p.learn({ ...py, sourceHash: 'grows', compileMs: 0, runMs: 10, cacheHit: false, compiled: false });
    for (let i = 0; i < 4; i++) p.learn({ ...py, sourceHash: 'grows', compileMs: 0, runMs: 2000, cacheHit: false, compiled: false });
    expect(p.predict({ ...py, sourceHash: 'grows' }).totalMs).toBeGreaterThan(1800);
  });

  it('keeps its tables bounded', () => {
    const p = createCostPredictor({ maxEntries: 10 });
    for (let i = 0; i < 100; i++) p.learn({ ...py, sourceHash: `h${i}`, sessionId: `s${i}`, compileMs: 0, runMs: 1, cacheHit: false, compiled: false });
    expect(p.size()).toEqual({ sources: 10, sessions: 10, classes: 1 });
  });
});
