// glob(3) inside a root, shared by ld.so.conf's include and the nginx, named and unbound followers:
// components matched one by one, sorted, dot names only for a dot pattern, [!...] negated, symlinks
// followed inside the root and never out of it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globInRoot, isGlob } from '../../src/fs/glob-in-root.js';

describe('globInRoot', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mkjail-glob-'));
    mkdirSync(join(root, 'etc/conf.d'), { recursive: true });
    mkdirSync(join(root, 'etc/sites'), { recursive: true });
    for (const name of ['b.conf', 'a.conf', '.hidden.conf', 'c.txt', '[x].conf']) writeFileSync(join(root, 'etc/conf.d', name), '');
    writeFileSync(join(root, 'etc/sites/a1'), '');
    symlinkSync('/etc', join(root, 'etc/outside'));
    symlinkSync('missing', join(root, 'etc/conf.d/dangling.conf'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('matches each component in sorted order, dot names only for a pattern that starts with a dot', () => {
    expect(globInRoot(root, '/etc/conf.d/*.conf')).toEqual(['/etc/conf.d/[x].conf', '/etc/conf.d/a.conf', '/etc/conf.d/b.conf', '/etc/conf.d/dangling.conf']);
    expect(globInRoot(root, '/etc/conf.d/.*.conf')).toEqual(['/etc/conf.d/.hidden.conf']);
    expect(globInRoot(root, '/etc/*/a*')).toEqual(['/etc/conf.d/a.conf', '/etc/sites/a1']);
  });

  it('reads [...] and [!...] sets, and a [ with no closing ] as itself', () => {
    expect(globInRoot(root, '/etc/conf.d/[!a].conf')).toEqual(['/etc/conf.d/b.conf']);
    expect(globInRoot(root, '/etc/conf.d/[ab].conf')).toEqual(['/etc/conf.d/a.conf', '/etc/conf.d/b.conf']);
    expect(globInRoot(root, '/etc/conf.d/[x*')).toEqual(['/etc/conf.d/[x].conf']);
    expect(globInRoot(root, '/etc/conf.d/?.txt')).toEqual(['/etc/conf.d/c.txt']);
  });

  it('follows a symlink inside the root only: /etc of the root, never the host\'s /etc', () => {
    expect(globInRoot(root, '/etc/outside/conf.d/a*')).toEqual(['/etc/outside/conf.d/a.conf']);
    expect(globInRoot(root, '/etc/outside/passw?')).toEqual([]);
    expect(globInRoot(root, '/nowhere/*')).toEqual([]);
    expect([isGlob('/etc/*.conf'), isGlob('/etc/a.conf')]).toEqual([true, false]);
  });
});
