import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the engine compiles from C at first use (the seccomp filter, the native P1): built once per
 * source version and architecture into `cacheDir/<kind>/`, then read from there. `build` writes the
 * product to the path it is given; a failure names `what` and the compiler's message.
 */
export function builtOnce(cacheDir: string, kind: string, source: string, ext: string, what: string, build: (source: string, out: string, scratch: string) => void): Buffer {
  const hash = createHash('sha256').update(fs.readFileSync(source)).update(process.arch).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, kind);
  const product = path.join(dir, `${kind}-${hash}.${ext}`);
  if (fs.existsSync(product)) return fs.readFileSync(product);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${product}.${process.pid}`;
  const scratch = path.join(dir, `${kind}-${hash}-${process.pid}`);
  try {
    build(source, tmp, scratch);
    fs.renameSync(tmp, product);
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`${what} cannot be built (needs cc; run npm run setup): ${stderr || (e as Error).message}`);
  } finally {
    fs.rmSync(scratch, { force: true });
    fs.rmSync(tmp, { force: true });
  }
  return fs.readFileSync(product);
}
