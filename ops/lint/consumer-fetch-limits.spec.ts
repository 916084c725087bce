import fs from 'node:fs';
import path from 'node:path';
import { sourcesUnder } from './floors';

const repoRoot = path.resolve(__dirname, '..', '..');
const PRODUCT = ['topics', 'producers', 'consumers', 'stream-processors', 'runtimes', 'analytics', 'ops'];

/** Each `kafka.consumer({ … })` call in a source text, with the options text that follows it. */
export function consumerCalls(source: string): string[] {
  const out: string[] = [];
  const re = /\.consumer\(\{/g;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(source.slice(m.index, m.index + 400));
  return out;
}

describe('consumer fetch limits', () => {
  // kafkajs drops a batch that a fetch cut short and fetches the same offset again: a consumer that can take less
  // than the largest record of its topics stands still on such a record (topics/catalog.ts CONSUMER_FETCH_LIMITS).
  it('every Kafka consumer the product creates can fetch the largest record any topic accepts', () => {
    const missing: string[] = [];
    let calls = 0;
    for (const dir of PRODUCT) {
      for (const file of sourcesUnder(path.join(repoRoot, dir))) {
        if (file.endsWith('.spec.ts')) continue;
        for (const call of consumerCalls(fs.readFileSync(file, 'utf8'))) {
          calls++;
          if (!/^\.consumer\(\{\s*\.\.\.CONSUMER_FETCH_LIMITS\b/.test(call)) missing.push(`${path.relative(repoRoot, file)}: ${call.split('\n')[0]}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it('finds a consumer created without the limits', () => {
    const calls = consumerCalls("const c = kafka.consumer({ groupId: 'g' });\nconst d = kafka.consumer({ ...CONSUMER_FETCH_LIMITS, groupId: 'h' });");
    expect(calls.map((c) => /^\.consumer\(\{\s*\.\.\.CONSUMER_FETCH_LIMITS\b/.test(c))).toEqual([false, true]);
  });
});
