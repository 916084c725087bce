import { seededRandom } from '../../load/stats';
import { runByRunRandom } from './des';

describe('run-by-run simulation', () => {
  it("draws from a stream of its own, not the one a trace of the same seed drew its counts from", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7]) {
      const a = runByRunRandom(seed);
      const draws = Array.from({ length: 1000 }, () => a());
      // Not the same seed's stream, nor any small seed's stream shifted by up to 1,000 draws.
      for (const other of [1, 2, 3, 4, 5, 6, 7]) {
        const b = seededRandom(other);
        const theirs = new Set(Array.from({ length: 2000 }, () => b()));
        expect(draws.filter((x) => theirs.has(x)).length).toBe(0);
      }
    }
  });

});
