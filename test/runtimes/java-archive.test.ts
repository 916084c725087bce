import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { paths } from '../../topics/ground/paths';
import { findLanguage } from '../../runtimes/languages';

/**
 * Sandboxed javac maps its classes from a class data archive that set-up
 * builds for this exact JDK (ops/setup/steps/40-depsets.sh). -Xshare:auto
 * would silently ignore a broken or foreign archive and only be slower, so
 * this checks with -Xshare:on, which refuses to start without it.
 */
describe('javac class data archive', () => {
  const java = findLanguage('java')!;
  const set = java.dependencySets[0]!;
  const archive = path.join(paths().cache, 'depsets', set.depsDir!, 'javac.jsa');

  it('is what the Java toolchain asks for, in its dependency set mounted at /deps', () => {
    expect(set.depsDir).toBe('java-17-std');
    expect(java.toolchains.x86_64!.compile).toContain('-J-XX:SharedArchiveFile=/deps/javac.jsa');
  });

  it('was built by set-up and is accepted by this JDK', () => {
    const javac = java.toolchains.x86_64!.compile![0]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-jsa-'));
    fs.writeFileSync(path.join(dir, 'Main.java'), 'public class Main { public static void main(String[] a) { System.out.println(1); } }\n');
    const r = spawnSync(javac, ['-J-XX:+UseSerialGC', '-J-Xshare:on', `-J-XX:SharedArchiveFile=${archive}`, '-d', path.join(dir, 'out'), path.join(dir, 'Main.java')], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
