// The ld.so.conf reader: this machine's configuration against what ldconfig scans, and a --root
// tree with includes, globs, comments, an include loop and a symlink that must stay inside the root.
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, readLdSoConf } from '../../src/elf/ld-so-conf.js';
import { prerequisites } from '../helpers/prereq.js';
import { scratchDir } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ commands: ['ldconfig'], packages: 'libc-bin' });

/** The directories ldconfig -v says it takes from the configuration files, in order. */
function ldconfigConfDirs(): string[] {
  const { stdout } = execaSync('ldconfig', ['-N', '-v'], { reject: false, stderr: 'ignore' });
  return String(stdout)
    .split('\n')
    .filter((line) => /^\/.*: \(from \/etc\//.test(line))
    .map((line) => line.slice(0, line.indexOf(':')));
}

/** `dirs` without the missing ones and without second names of a directory already listed (as ldconfig skips them). */
function existingUnique(dirs: string[]): string[] {
  const seen = new Set<string>();
  return dirs.filter((dir) => {
    const stats = statSync(dir, { throwIfNoEntry: false });
    if (!stats?.isDirectory()) return false;
    const id = `${stats.dev}:${stats.ino}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

describe.skipIf(!ok)('readLdSoConf', () => {
  let root = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir: root, cleanup } = scratchDir('conf'));
    mkdirSync(`${root}/etc/ld.so.conf.d`, { recursive: true });
    mkdirSync(`${root}/srv/conf`, { recursive: true });
    writeFileSync(`${root}/etc/ld.so.conf`, '# top\n/first//lib/ \ninclude ld.so.conf.d/*.conf\nhwcap 1 nosegneg\ninclude /etc/loop.conf\n');
    writeFileSync(`${root}/etc/ld.so.conf.d/b.conf`, '/b/one:/b/two, /b/three\n');
    writeFileSync(`${root}/etc/ld.so.conf.d/a.conf`, '  /a # trailing comment\n/a\n');
    writeFileSync(`${root}/etc/ld.so.conf.d/c.conf.disabled`, '/never\n');
    writeFileSync(`${root}/etc/loop.conf`, '/loop\ninclude /etc/loop.conf\ninclude /etc/outside/*.conf\n');
    writeFileSync(`${root}/srv/conf/x.conf`, '/from/inside/root\n');
    symlinkSync('/srv/conf', `${root}/etc/outside`);
  });

  afterAll(() => cleanup());

  it('reads this machine\'s /etc/ld.so.conf as ldconfig does', () => {
    expect(existingUnique(readLdSoConf('/'))).toEqual(ldconfigConfDirs());
  });

  it('follows includes, globs (sorted) and comments inside a root, cutting include loops', () => {
    expect(readLdSoConf(root)).toEqual(['/first/lib', '/a', '/b/one', '/b/two', '/b/three', '/loop', '/from/inside/root']);
  });

  it('expands globs with the root as /, through symlinks that point at absolute paths', () => {
    expect(expandGlob(root, '/etc/outside/*.conf')).toEqual(['/etc/outside/x.conf']);
    expect(expandGlob(root, '/etc/ld.so.conf.d/[ab].conf')).toEqual(['/etc/ld.so.conf.d/a.conf', '/etc/ld.so.conf.d/b.conf']);
  });

  it('gives no directory for a root without ld.so.conf', () => {
    expect(readLdSoConf(`${root}/srv`)).toEqual([]);
  });

  it('reads each file once, so files that include each other finish at once', () => {
    const { dir: tangled, cleanup: remove } = scratchDir('conf-loop');
    try {
      mkdirSync(`${tangled}/etc/d`, { recursive: true });
      writeFileSync(`${tangled}/etc/ld.so.conf`, 'include d/*.conf\n');
      for (const name of ['a', 'b', 'c', 'd', 'e']) writeFileSync(`${tangled}/etc/d/${name}.conf`, `/lib/${name}\ninclude /etc/d/*.conf\ninclude /etc/ld.so.conf\n`);
      const started = performance.now();
      expect(readLdSoConf(tangled)).toEqual(['/lib/a', '/lib/b', '/lib/c', '/lib/d', '/lib/e']);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      remove();
    }
  });
});
