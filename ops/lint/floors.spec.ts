import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkFloors, importsOf } from './floors';

const repoRoot = path.resolve(__dirname, '..', '..');

/** A throwaway tree: file path → source text. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'floors-'));
  for (const [rel, src] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), src);
  }
  return root;
}

const arrows = (root: string) => checkFloors(root).map((v) => `${v.from} -> ${v.to}`);

describe('the floor plan', () => {
  it('holds in this repository: every import between top-level folders runs one way, nothing outside ops/ imports ops/', () => {
    expect(checkFloors(repoRoot).map((v) => `${v.from} -> ${v.to}: ${v.reason}`)).toEqual([]);
  });

  it('accepts imports that run down the floors', () => {
    const root = tree({
      'topics/ground/env.ts': "export const x = 1;",
      'topics/catalog.ts': "import { x } from './ground/env';",
      'runtimes/engine.ts': "import { x } from '../topics/ground/env'; import '../topics/catalog';",
      'analytics/rows.ts': "import '../runtimes/engine'; import pino from 'pino';",
      'consumers/sink/sink.ts': "import '../../analytics/rows'; import '../../stream-processors/b';",
      'ops/cli/main.ts': "import '../../consumers/sink/sink'; import '../../producers/gateway/main';",
      'test/support/x.ts': "import '../../ops/cli/main';",
    });
    expect(arrows(root)).toEqual([]);
  });

  it('names an import of ops/ from below, an upward import, a peer import, an adapter importing another and the ground floor reaching up', () => {
    const root = tree({
      'runtimes/cgroup.ts': "import { pidAlive } from '../ops/infra/managed-process';",
      'analytics/service.ts': "import type { Sink } from '../consumers/sink/sink';",
      'consumers/executor/executor.ts': "export { createBatchingSender } from '../../producers/batching-sender';",
      'runtimes/x.ts': "const s = require('../stream-processors/y');",
      'topics/ground/logger.ts': "void import('../catalog');",
      'topics/catalog.ts': "import '../runtimes/languages';",
      'producers/gateway/a.ts': "import '../../test/support/infra';",
      'producers/gateway/piston-api.ts': "import { clientOf } from './rest-api'; import { clientKey } from './client-key';",
      'topics/ground/ok.ts': "import './env';",
    });
    expect(arrows(root).sort()).toEqual(
      [
        'runtimes/cgroup.ts -> ops/infra/managed-process',
        'analytics/service.ts -> consumers/sink/sink',
        'consumers/executor/executor.ts -> producers/batching-sender',
        'runtimes/x.ts -> stream-processors/y',
        'topics/ground/logger.ts -> topics/catalog',
        'topics/catalog.ts -> runtimes/languages',
        'producers/gateway/a.ts -> test/support/infra',
        'producers/gateway/piston-api.ts -> producers/gateway/rest-api',
      ].sort(),
    );
    expect(checkFloors(root).find((v) => v.from === 'runtimes/cgroup.ts')!.reason).toMatch(/only ops\/ imports ops\//);
  });

  it('reads static, type-only, re-export, dynamic and require imports', () => {
    expect(importsOf("import a from './a'; import type { B } from './b'; export * from './c'; const d = require('./d'); void import('./e');")).toEqual(['./a', './b', './c', './d', './e']);
  });
});
