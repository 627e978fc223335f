// Cached lookups inside a root against the reference walk (resolveInRoot): the same real paths and
// the same symlink chains for every library of the system, and loops cut as the kernel cuts them.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from '../../src/fs/path-in-root.js';
import { RootFiles } from '../../src/resolve/root-files.js';
import { scratchDir } from './helpers/build-elf.js';

function sameAsWalk(root: string, paths: string[]) {
  const files = new RootFiles(root);
  return paths.flatMap((path) => {
    const ours = files.resolve(path);
    let walk: ReturnType<typeof resolveInRoot>;
    try {
      walk = resolveInRoot(root, path);
    } catch {
      walk = undefined;
    }
    const summary = (r: typeof walk) => r && { real: r.real, links: r.links, inode: r.stats.ino };
    return JSON.stringify(summary(ours)) === JSON.stringify(summary(walk)) ? [] : [{ path, ours: summary(ours), walk: summary(walk) }];
  });
}

describe('RootFiles', () => {
  let root = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir: root, cleanup } = scratchDir('root-files'));
    mkdirSync(`${root}/usr/lib/deep/er`, { recursive: true });
    writeFileSync(`${root}/usr/lib/deep/er/libz.so.1.2`, 'x');
    symlinkSync('usr/lib', `${root}/lib`);
    symlinkSync('/lib/deep/er/libz.so.1.2', `${root}/usr/lib/libz.so.1`);
    symlinkSync('deep/../deep/./er//libz.so.1.2', `${root}/usr/lib/libz.so.dots`);
    symlinkSync('../../../../../../usr/lib/libz.so.1', `${root}/usr/lib/deep/escape`);
    symlinkSync('loop-b', `${root}/usr/lib/loop-a`);
    symlinkSync('loop-a', `${root}/usr/lib/loop-b`);
    for (let i = 0; i < 45; i++) symlinkSync(i === 0 ? 'deep/er/libz.so.1.2' : `chain-${i - 1}`, `${root}/usr/lib/chain-${i}`);
  });

  afterAll(() => cleanup());

  it('resolves every entry of the system library directories as the reference walk does', () => {
    const paths = ['/lib64', '/lib', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib32'].flatMap((dir) => {
      try {
        return readdirSync(dir).map((name) => `${dir}/${name}`);
      } catch {
        return [];
      }
    });
    expect(paths.length).toBeGreaterThan(500);
    expect(sameAsWalk('/', paths)).toEqual([]);
  });

  it('resolves absolute, relative, dotted and escaping links, loops and long chains inside a root as the walk does', () => {
    const paths = ['/lib/libz.so.1', '/usr/lib/libz.so.dots', '/lib/deep/escape', '/usr/lib/loop-a', '/usr/lib/chain-38', '/usr/lib/chain-39', '/usr/lib/chain-44'];
    expect(sameAsWalk(root, paths)).toEqual([]);
    const files = new RootFiles(root);
    expect(paths.map((path) => files.resolve(path)?.real ?? null)).toEqual([
      '/usr/lib/deep/er/libz.so.1.2',
      '/usr/lib/deep/er/libz.so.1.2',
      '/usr/lib/deep/er/libz.so.1.2',
      null,
      '/usr/lib/deep/er/libz.so.1.2',
      '/usr/lib/deep/er/libz.so.1.2',
      null,
    ]);
  });
});
