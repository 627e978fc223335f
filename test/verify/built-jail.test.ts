import { chmodSync, lchownSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree } from '../../src/fs/read-tree.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['named', 'getent', 'find'], packages: 'bind9' });

/** Every path of the tree gets owner 1000:1000 and a mode derived from its position (setgid dirs too). */
function scramble(root: string): void {
  readTree(root).forEach((entry, index) => {
    const host = entry.path === '/' ? root : join(root, entry.path);
    lchownSync(host, 1000, 1000);
    if (entry.type !== 'symlink') chmodSync(host, [0o777, 0o2755, 0o4711, 0o1000, 0o000][index % 5] as number);
  });
}

describe.skipIf(!ok)('verify and perms.sh on a BIND jail built by mkjail build (wrapper mode: named and its libraries)', () => {
  let jail: BuiltJail;
  beforeAll(async () => {
    jail = await buildJail(`${REPO_ROOT}recipes/bind.ts`, { set: { mode: 'wrapper' } });
  });
  afterAll(() => jail?.cleanup());

  it('finds a freshly built jail clean, on the command line too', async () => {
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(await mkjail(['verify', jail.dir])).toEqual({
      exitCode: 0,
      stdout: `ok: ${jail.dir} matches its manifest (${jail.manifest.entries.length} entries) and every ELF file loads inside it`,
      stderr: '',
    });
  });

  it('restores every owner and mode of a scrambled jail with sh perms.sh, keeping the service data', async () => {
    writeFileSync(join(jail.root, 'var/cache/bind/managed-keys.bind'), 'written by named\n');
    lchownSync(join(jail.root, 'var/cache/bind/managed-keys.bind'), 102, 105);
    scramble(jail.root);
    lchownSync(join(jail.root, 'var/cache/bind/managed-keys.bind'), 102, 105);
    chmodSync(join(jail.root, 'var/cache/bind/managed-keys.bind'), 0o644);
    const drifts = verifyJail(jail.root, jail.manifest);
    expect(new Set(drifts.map((d) => d.kind))).toEqual(new Set(['mode', 'owner']));
    expect(drifts.filter((d) => d.kind === 'owner')).toHaveLength(jail.manifest.entries.length);

    const result = await execa('sh', [join(jail.dir, 'perms.sh')], { reject: false });
    expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stdout: `perms.sh: set owner and mode of ${jail.manifest.entries.length} paths in ${jail.root}`,
      stderr: '',
    });
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(readTree(jail.root).find((e) => e.path === '/var/cache/bind/managed-keys.bind')).toMatchObject({ uid: 102, gid: 105, mode: '0644' });
  });

  it('reports the libraries that named and its own libraries can no longer load when libuv is removed', () => {
    const libuv = jail.manifest.entries.filter((e) => e.path.includes('/libuv.so'));
    expect(libuv.map((e) => e.type).sort()).toEqual(['file', 'symlink']);
    for (const entry of libuv) unlinkSync(join(jail.root, entry.path));
    const drifts = verifyJail(jail.root, jail.manifest);
    expect(drifts.filter((d) => d.kind === 'missing')).toEqual(libuv.map((e) => ({ kind: 'missing', path: e.path, expected: e.type, found: 'nothing' })));
    const load = drifts.filter((d) => d.kind === 'load');
    expect(load.map((d) => [d.path.replace(/-9\.[^/]*-Debian\.so$/, ''), d.expected, d.found])).toEqual([
      ['/usr/lib/x86_64-linux-gnu/libdns', 'libuv.so.1', 'nothing in the jail'],
      ['/usr/lib/x86_64-linux-gnu/libisc', 'libuv.so.1', 'nothing in the jail'],
      ['/usr/lib/x86_64-linux-gnu/libns', 'libuv.so.1', 'nothing in the jail'],
      ['/usr/sbin/named', 'libuv.so.1', 'nothing in the jail'],
    ]);
  });

  it('reports a library replaced by a symlink to the host copy as a type change, not as clean', () => {
    const libc = jail.manifest.entries.find((e) => e.path.endsWith('/libc.so.6') && e.type === 'file');
    if (!libc) throw new Error('no libc.so.6 file in the jail');
    rmSync(join(jail.root, libc.path));
    symlinkSync(libc.path, join(jail.root, libc.path));
    expect(verifyJail(jail.root, jail.manifest, { loadCheck: false })).toContainEqual({ kind: 'type', path: libc.path, expected: 'file', found: 'symlink' });
  });
});
