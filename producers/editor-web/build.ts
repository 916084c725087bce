import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { build } from 'esbuild';

/**
 * Builds the browser editor from npm packages into dist/ (served by the
 * gateway at / and /editor/*): one minified script, one stylesheet, the page.
 * No CDN: everything the page loads comes from the gateway. Skips the build
 * when the sources and the lock file have not changed since the last one.
 */
export const EDITOR_DIST = path.join(__dirname, 'dist');
const SRC = path.join(__dirname, 'src');
const ROOT = path.join(__dirname, '..', '..');

/** The bundle-size budget: what the page's first load may cost, gzip-compressed (script and its static chunks, stylesheet, page). */
export const BUNDLE_BUDGET_GZIP_BYTES = 200 * 1024;

function sourceHash(): string {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(SRC).sort()) if (/\.(ts|html|css)$/.test(f) && !f.endsWith('.spec.ts')) h.update(f).update(fs.readFileSync(path.join(SRC, f)));
  h.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  return h.digest('hex');
}

/** Sizes in bytes: the page as it first loads (script, its static chunks, stylesheet, page), and everything including the lazily loaded chunks. */
export interface BundleSizes { initial: number; initialGzip: number; all: number; allGzip: number; chunks: number }

export function bundleSizes(dir = EDITOR_DIST): BundleSizes {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { initial: string[]; lazy: string[] };
  const raw = (f: string) => fs.statSync(path.join(dir, f)).size;
  const gz = (f: string) => zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length;
  const sum = (fs_: string[], f: (x: string) => number) => fs_.reduce((n, x) => n + f(x), 0);
  const all = [...manifest.initial, ...manifest.lazy];
  return { initial: sum(manifest.initial, raw), initialGzip: sum(manifest.initial, gz), all: sum(all, raw), allGzip: sum(all, gz), chunks: manifest.lazy.length };
}

export async function buildEditor(o: { force?: boolean } = {}): Promise<{ built: boolean; sizes: BundleSizes }> {
  const hash = sourceHash();
  const stamp = path.join(EDITOR_DIST, '.source-hash');
  if (!o.force && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return { built: false, sizes: bundleSizes() };
  fs.rmSync(EDITOR_DIST, { recursive: true, force: true });
  fs.mkdirSync(EDITOR_DIST, { recursive: true });
  // ES modules with splitting: each language's parser and the vim keymap are chunks loaded when first needed.
  const result = await build({
    entryPoints: { app: path.join(SRC, 'main.ts') },
    bundle: true, minify: true, format: 'esm', splitting: true, target: 'es2020', outdir: EDITOR_DIST, chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked', legalComments: 'linked', logLevel: 'warning', metafile: true,
  });
  fs.copyFileSync(path.join(SRC, 'app.css'), path.join(EDITOR_DIST, 'app.css'));
  fs.copyFileSync(path.join(SRC, 'index.html'), path.join(EDITOR_DIST, 'index.html'));
  // What the page loads at once: the entry, the chunks it imports statically (transitively), the stylesheet and the page.
  const outputs = result.metafile!.outputs;
  const rel = (p: string) => path.relative(EDITOR_DIST, path.resolve(ROOT, p));
  const js = Object.keys(outputs).filter((k) => k.endsWith('.js'));
  const entry = js.find((k) => outputs[k]!.entryPoint)!;
  const initial = new Set<string>();
  const visit = (k: string) => {
    if (initial.has(k)) return;
    initial.add(k);
    for (const i of outputs[k]!.imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  const manifest = { initial: [...[...initial].map(rel), 'app.css', 'index.html'], lazy: js.filter((k) => !initial.has(k)).map(rel) };
  fs.writeFileSync(path.join(EDITOR_DIST, 'manifest.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(stamp, hash);
  return { built: true, sizes: bundleSizes() };
}

if (require.main === module) {
  buildEditor({ force: process.argv.includes('--force') }).then(
    ({ built, sizes }) => {
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      if (built) console.log(`editor: built; first load ${kib(sizes.initial)} (${kib(sizes.initialGzip)} gzip, budget ${kib(BUNDLE_BUDGET_GZIP_BYTES)}), with all ${sizes.chunks} lazy chunks ${kib(sizes.allGzip)} gzip`);
      if (sizes.initialGzip > BUNDLE_BUDGET_GZIP_BYTES) {
        console.error(`editor: the page's first load is ${kib(sizes.initialGzip)} gzip, above its budget of ${kib(BUNDLE_BUDGET_GZIP_BYTES)}`);
        process.exit(1);
      }
    },
    (err) => {
      console.error(`editor: build failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
