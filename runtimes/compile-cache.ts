import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Least-recently-used bookkeeping with a byte bound; pure, so it is unit-tested alone. */
export class LruIndex {
  private entries = new Map<string, number>(); // key -> bytes, in use order (oldest first)
  private total = 0;
  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }
  get bytes(): number {
    return this.total;
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  touch(key: string): boolean {
    const bytes = this.entries.get(key);
    if (bytes === undefined) return false;
    this.entries.delete(key);
    this.entries.set(key, bytes);
    return true;
  }
  /** Adds an entry and returns the keys to evict (oldest first, never pinned ones). */
  add(key: string, bytes: number, pinned: (k: string) => boolean = () => false): string[] {
    if (this.entries.has(key)) this.remove(key);
    this.entries.set(key, bytes);
    this.total += bytes;
    const evicted: string[] = [];
    for (const [k, b] of this.entries) {
      if (this.total <= this.maxBytes) break;
      if (k === key || pinned(k)) continue;
      this.entries.delete(k);
      this.total -= b;
      evicted.push(k);
    }
    return evicted;
  }
  remove(key: string): void {
    const b = this.entries.get(key);
    if (b === undefined) return;
    this.entries.delete(key);
    this.total -= b;
  }
}

export interface CacheKeyParts {
  language: string;
  version: string;
  toolchain: string;
  dependencySet: string;
  hardwareClass: string;
  flags: string[];
  files: { name: string; content: string }[];
}

/** Content address of a compile: everything that can change the artifact. */
export function cacheKey(p: CacheKeyParts): string {
  const h = crypto.createHash('sha256');
  const field = (s: string) => h.update(`${Buffer.byteLength(s)}:${s}`);
  for (const s of [p.language, p.version, p.toolchain, p.dependencySet, p.hardwareClass]) field(s);
  field(String(p.flags.length));
  for (const f of p.flags) field(f);
  const files = [...p.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  field(String(files.length));
  for (const f of files) (field(f.name), field(f.content));
  return h.digest('hex');
}

/** Bytes under dir; what vanishes meanwhile (another engine on the same cache evicting it) counts 0. */
function dirBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : (fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  }
  return total;
}

/**
 * Compiled artifacts on disk under <root>/<key>/, bounded in bytes with LRU
 * eviction. Entries are complete directories moved in with rename(), so a
 * reader never sees half an artifact.
 */
export class CompileCache {
  private lru: LruIndex;
  private pins = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(readonly root: string, maxBytes: number) {
    this.lru = new LruIndex(maxBytes);
    fs.mkdirSync(root, { recursive: true, mode: 0o755 });
    // Engines on one machine may share the root: an entry listed here can be evicted by another before its stat.
    const found = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name))
      .flatMap((e) => {
        const st = fs.statSync(path.join(root, e.name), { throwIfNoEntry: false });
        return st ? [{ key: e.name, mtime: st.mtimeMs }] : [];
      })
      .sort((a, b) => a.mtime - b.mtime);
    for (const f of found) for (const k of this.lru.add(f.key, dirBytes(path.join(root, f.key)))) this.delete(k);
  }

  /** Returns the artifact directory and pins it until release() is called. */
  lookup(key: string): string | null {
    if (!this.lru.touch(key)) {
      this.misses++;
      return null;
    }
    this.hits++;
    this.pin(key);
    return path.join(this.root, key);
  }

  /** Moves a finished output directory into the cache and pins it. */
  insert(key: string, outDir: string): string {
    const dest = path.join(this.root, key);
    try {
      fs.chmodSync(outDir, 0o755);
      fs.renameSync(outDir, dest);
    } catch (e) {
      if (!fs.existsSync(dest)) throw e;
      fs.rmSync(outDir, { recursive: true, force: true }); // a concurrent identical compile won
    }
    this.pin(key);
    for (const k of this.lru.add(key, dirBytes(dest), (x) => this.pins.has(x))) this.delete(k);
    return dest;
  }

  release(key: string): void {
    const n = (this.pins.get(key) ?? 1) - 1;
    if (n <= 0) this.pins.delete(key);
    else this.pins.set(key, n);
  }

  stats() {
    return { entries: this.lru.size, bytes: this.lru.bytes, hits: this.hits, misses: this.misses };
  }

  private pin(key: string): void {
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
  }

  private delete(key: string): void {
    const p = path.join(this.root, key);
    const trash = `${p}.evicted-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(p, trash);
      fs.rm(trash, { recursive: true, force: true }, () => undefined);
    } catch {
      /* already gone */
    }
  }
}
