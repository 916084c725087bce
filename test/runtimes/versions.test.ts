import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { LANGUAGES, type LanguageDef } from '../../runtimes/languages';
import { paths } from '../../topics/ground/paths';

/**
 * The language table's versions are the toolchains' own full versions (what
 * Piston's /api/v2/runtimes and every result report), asked of the binaries
 * set-up installed: a toolchain upgraded under the table fails here.
 */
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function ownVersion(l: LanguageDef): string | undefined {
  const tc = l.toolchains.x86_64!;
  switch (l.id) {
    case 'c':
    case 'c++':
      return run(tc.compile![0]!, ['-dumpfullversion']).trim();
    case 'python':
      return /Python ([\d.]+)/.exec(run(tc.run[0]!, ['--version']))?.[1];
    case 'javascript': {
      const bin = tc.run[0]!.startsWith('/deps/') ? path.join(paths().cache, 'depsets', l.dependencySets[0]!.depsDir!, tc.run[0]!.slice('/deps/'.length)) : tc.run[0]!;
      return run(bin, ['--version']).trim().replace(/^v/, '');
    }
    case 'typescript':
      return (require('typescript/package.json') as { version: string }).version;
    case 'go':
      return /go([\d.]+)/.exec(run('/usr/local/go/bin/go', ['version']))?.[1];
    case 'rust':
      return /rustc ([\d.]+)/.exec(run(path.join(run('/root/.cargo/bin/rustc', ['--print', 'sysroot']).trim(), 'bin', 'rustc'), ['--version']))?.[1];
    case 'java':
      // java -version prints on stderr.
      return /version "([\d.]+)"/.exec(spawnSync(tc.run[0]!, ['-version'], { encoding: 'utf8' }).stderr)?.[1];
    default:
      return undefined;
  }
}

describe('language table versions', () => {
  it.each(LANGUAGES.map((l) => [l.id, l.version, l] as const))('%s %s is the full version its toolchain reports', (_id, version, l) => {
    expect(ownVersion(l)).toBe(version);
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('holds more than one version of a language (JavaScript: Node 20 and Node 22)', () => {
    expect(LANGUAGES.filter((l) => l.id === 'javascript').map((l) => l.version)).toEqual(['20.20.2', '22.23.5']);
  });
});
