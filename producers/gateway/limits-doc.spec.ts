import fs from 'node:fs';
import path from 'node:path';
import { FILE_RULES } from '../../runtimes/validate';
import { repoRoot } from '../../topics/ground/paths';
import { gatewaySettings } from './settings';

/**
 * docs/limits.md and the code agree: what it says the gateway accepts are the
 * gateway's defaults, and what it says the engine accepts are the engine's
 * bounds (1 MiB per file, 4 MiB per run). A changed default fails here until
 * the document says it too.
 */
const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'limits.md'), 'utf8').replace(/\s+/g, ' ');
const KiB = 1024;
const MiB = 1024 * KiB;
const bytes = (n: string, unit: string) => Number(n) * (unit === 'MiB' ? MiB : KiB);

describe('docs/limits.md', () => {
  it('states the gateway\'s defaults for programs, stdin, files, bodies and client limits', () => {
    const s = gatewaySettings({});
    const stated = (name: string) => {
      const m = new RegExp(`\`${name}\` \\((\\d+)(?: (KiB|MiB))?`).exec(doc);
      if (!m) throw new Error(`docs/limits.md does not state ${name}`);
      return m[2] ? bytes(m[1]!, m[2]) : Number(m[1]);
    };
    expect({ program: stated('MAX_PROGRAM_BYTES'), stdin: stated('MAX_STDIN_BYTES'), files: stated('MAX_FILES'), body: stated('MAX_MESSAGE_BYTES') })
      .toEqual({ program: s.MAX_PROGRAM_BYTES, stdin: s.MAX_STDIN_BYTES, files: s.MAX_FILES, body: s.MAX_MESSAGE_BYTES });
    const row = (name: string) => new RegExp(`\\(\`${name}\`\\) \\| (\\d+)`).exec(doc)?.[1];
    expect({ sockets: Number(row('MAX_SOCKETS_PER_CLIENT')), connections: Number(row('MAX_CONNECTIONS_PER_ADDRESS')) }).toEqual({ sockets: s.MAX_SOCKETS_PER_CLIENT, connections: s.MAX_CONNECTIONS_PER_ADDRESS });
  });

  it('states the engine\'s bounds: 1 MiB per file and 4 MiB per run', () => {
    const m = /at most (\d+) files, (\d+) MiB each, (\d+) MiB in all/.exec(doc);
    expect(m && { files: Number(m[1]), perFile: Number(m[2]) * MiB, total: Number(m[3]) * MiB }).toEqual({ files: FILE_RULES.maxFiles, perFile: FILE_RULES.maxFileBytes, total: FILE_RULES.maxTotalBytes });
    expect([FILE_RULES.maxFileBytes, FILE_RULES.maxTotalBytes]).toEqual([1 * MiB, 4 * MiB]);
  });

  it('keeps what the gateway accepts within what the engine accepts', () => {
    const s = gatewaySettings({});
    expect(s.MAX_FILES).toBeLessThanOrEqual(FILE_RULES.maxFiles);
    expect(s.MAX_PROGRAM_BYTES).toBeLessThanOrEqual(FILE_RULES.maxTotalBytes);
    expect(s.MAX_STDIN_BYTES).toBeLessThanOrEqual(FILE_RULES.maxStdinBytes);
    expect(s.MAX_MESSAGE_BYTES).toBeGreaterThanOrEqual(s.MAX_PROGRAM_BYTES + s.MAX_STDIN_BYTES);
  });
});
