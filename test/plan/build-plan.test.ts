// The plan drawn from a recipe, in memory (nothing written): configs followed into entries with reasons
// and writable directories, optional files warned about, conflicting wishes refused.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderLauncher } from '../../src/artifacts/launcher.js';
import { renderSystemdUnit } from '../../src/artifacts/systemd-unit.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { MkjailError } from '../../src/errors.js';
import { loadRecipe } from '../../src/recipe/load-recipe.js';

const scratch = mkdtempSync(join(tmpdir(), 'mkjail-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function recipeFile(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ ${body} });\n`);
  return path;
}

describe('buildPlan', () => {
  it('follows a named.conf: files with config reasons, writable directories for the user, a warning for a missing optional file', async () => {
    const conf = join(scratch, 'named.conf');
    writeFileSync(
      conf,
      `options { directory "${scratch}/cache"; pid-file "${scratch}/run/named.pid"; bindkeys-file "${scratch}/missing.keys"; session-keyfile "${scratch}/run/session.key"; lock-file "${scratch}/run/named.lock"; };\n` +
        `zone "example.test" { type master; file "${scratch}/db.example.test"; };\n`,
    );
    writeFileSync(join(scratch, 'db.example.test'), '$TTL 60\n');
    const file = recipeFile('conf.ts', `name: 'conf', user: 'nobody', group: 'nogroup', configs: [{ format: 'named.conf', path: '${conf}' }],
      writable: [{ path: '${scratch}/run', owner: 'nobody', group: 'nogroup', mode: '0750', why: 'declared by the recipe' }]`);
    const plan = await buildPlan(await loadRecipe(file));
    const byPath = new Map(plan.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get(conf)?.reasons).toEqual([{ kind: 'config', by: conf, what: 'named.conf: the configuration named reads (-c)' }]);
    expect(byPath.get(join(scratch, 'db.example.test'))?.reasons).toEqual([{ kind: 'config', by: conf, what: 'zone "example.test" file' }]);
    expect(plan.manifest.writable).toEqual([
      { path: `${scratch}/run`, owner: 'nobody', group: 'nogroup', mode: '0750', why: 'declared by the recipe' },
      { path: `${scratch}/cache`, owner: 'nobody', group: 'nogroup', mode: '0700', why: 'options.directory: working directory (managed keys, journals, dumps)' },
    ]);
    expect(byPath.get(`${scratch}/cache`)).toEqual({
      type: 'dir', path: `${scratch}/cache`, mode: '0700', uid: 65534, gid: 65534,
      reasons: [{ kind: 'writable', why: 'options.directory: working directory (managed keys, journals, dumps)' }],
    });
    expect(plan.warnings).toEqual([
      `optional file ${scratch}/missing.keys (options.bindkeys-file, in ${conf}) is not on the host; the jail goes without it`,
    ]);
  });

  it('keeps a host symlink as a symlink and brings its target in, with the reason', async () => {
    mkdirSync(join(scratch, 'links'));
    writeFileSync(join(scratch, 'links', 'real.txt'), 'real\n');
    const { symlinkSync } = await import('node:fs');
    symlinkSync('real.txt', join(scratch, 'links', 'alias.txt'));
    const plan = await buildPlan(await loadRecipe(recipeFile('links.ts', `name: 'links', devices: [], files: ['${scratch}/links/alias.txt']`)));
    const entries = plan.manifest.entries.filter((e) => e.path.startsWith(`${scratch}/links`));
    expect(entries.map((e) => [e.path, e.type, e.reasons])).toEqual([
      [`${scratch}/links`, 'dir', [{ kind: 'parent-dir' }]],
      [`${scratch}/links/alias.txt`, 'symlink', [{ kind: 'recipe', field: 'files.0' }]],
      [`${scratch}/links/real.txt`, 'file', [{ kind: 'symlink-target', of: `${scratch}/links/alias.txt` }]],
    ]);
  });

  it('takes one jail path from two host files with the same bytes, and refuses it from two whose bytes differ', async () => {
    writeFileSync(join(scratch, 'same-a.txt'), 'same\n');
    writeFileSync(join(scratch, 'same-b.txt'), 'same\n');
    writeFileSync(join(scratch, 'other.txt'), 'other\n');
    const same = await buildPlan(await loadRecipe(recipeFile('same.ts', `name: 'same', files: [{ from: './same-a.txt', to: '/etc/same' }, { from: './same-b.txt', to: '/etc/same' }]`)));
    expect(same.manifest.entries.find((e) => e.path === '/etc/same')).toMatchObject({ type: 'file', size: 5, sha256: createHash('sha256').update('same\n').digest('hex') });
    const differ = recipeFile('differ.ts', `name: 'differ', files: [{ from: './same-a.txt', to: '/etc/same' }, { from: './other.txt', to: '/etc/same' }]`);
    await expect(loadRecipe(differ).then((r) => buildPlan(r))).rejects.toThrow(
      `Can't plan /etc/same in the jail: it is wanted as a file from ${scratch}/same-a.txt mode 0444 (recipe) and as a file from ${scratch}/other.txt mode 0444 (recipe)`,
    );
  });

  it('refuses a path wanted both as a directory and as a file', async () => {
    writeFileSync(join(scratch, 'x.txt'), 'x\n');
    const file = recipeFile('conflict.ts', `name: 'conflict', files: [{ from: './x.txt', to: '/etc/thing' }], dirs: ['/etc/thing']`);
    await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(
      `Can't plan /etc/thing in the jail: it is wanted as a file from ${scratch}/x.txt mode 0444 (recipe) and as a directory (recipe)`,
    );
  });

  it('accepts a run program named through the jail\'s own symlinks, and refuses one that is not there', async () => {
    const viaLinks = recipeFile('run-link.ts', `name: 'run-link', binaries: ['/usr/bin/id'], run: { argv: ['/lib64/ld-linux-x86-64.so.2', '--help'] }`);
    expect((await buildPlan(await loadRecipe(viaLinks))).manifest.run).toEqual({ argv: ['/lib64/ld-linux-x86-64.so.2', '--help'], env: {}, chroot: 'launcher' });
    const missing = recipeFile('run-missing.ts', `name: 'run-missing', binaries: ['/usr/bin/id'], run: { argv: ['/lib/id'] }`);
    await expect(loadRecipe(missing).then((r) => buildPlan(r))).rejects.toThrow(
      `Can't use recipe at ${missing}: field run.argv.0: /lib/id is not a program in the jail`,
    );
  });

  it('copies a { from, to } directory whole to its new place, keeping its symlinks as symlinks', async () => {
    mkdirSync(join(scratch, 'tree/sub'), { recursive: true });
    writeFileSync(join(scratch, 'tree/a.txt'), 'a\n');
    writeFileSync(join(scratch, 'tree/sub/b.sh'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('a.txt', join(scratch, 'tree/link.txt'));
    symlinkSync('../a.txt', join(scratch, 'tree/sub/up.txt'));
    const plan = await buildPlan(await loadRecipe(recipeFile('tree.ts', `name: 'tree', devices: [], files: [{ from: './tree', to: '/srv/site' }]`)));
    expect(plan.manifest.entries.map((e) => [e.path, e.type, e.type === 'symlink' ? e.target : e.mode])).toEqual([
      ['/', 'dir', '0555'],
      ['/srv', 'dir', '0555'],
      ['/srv/site', 'dir', '0555'],
      ['/srv/site/a.txt', 'file', '0444'],
      ['/srv/site/link.txt', 'symlink', 'a.txt'],
      ['/srv/site/sub', 'dir', '0555'],
      ['/srv/site/sub/b.sh', 'file', '0555'],
      ['/srv/site/sub/up.txt', 'symlink', '../a.txt'],
    ]);
  });

  it('keeps a directory of applet symlinks as symlinks and brings their one outside target in once', async () => {
    mkdirSync(join(scratch, 'applets'));
    const names = ['ls', 'cat', 'sh', 'vi', 'id'];
    for (const name of names) symlinkSync('/usr/bin/id', join(scratch, 'applets', name));
    const plan = await buildPlan(await loadRecipe(recipeFile('applets.ts', `name: 'applets', devices: [], files: [{ from: './applets', to: '/opt/bin' }]`)));
    const links = plan.manifest.entries.filter((e) => e.path.startsWith('/opt/bin/'));
    expect(links.map((e) => [e.path, e.type === 'symlink' ? e.target : e.type])).toEqual(names.sort().map((n) => [`/opt/bin/${n}`, '/usr/bin/id']));
    const id = plan.manifest.entries.filter((e) => e.type === 'file' && e.source === '/usr/bin/id');
    expect(id.map((e) => [e.path, e.reasons])).toEqual([['/usr/bin/id', names.sort().map((n) => ({ kind: 'symlink-target', of: `/opt/bin/${n}` }))]]);
  });

  it('brings in the target of a symlink a plain directory path holds, at its own path', async () => {
    mkdirSync(join(scratch, 'plain'));
    symlinkSync('/usr/bin/id', join(scratch, 'plain/id'));
    const plan = await buildPlan(await loadRecipe(recipeFile('plain.ts', `name: 'plain', devices: [], files: ['${scratch}/plain']`)));
    const byPath = new Map(plan.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get(`${scratch}/plain/id`)).toMatchObject({ type: 'symlink', target: '/usr/bin/id' });
    expect(byPath.get('/usr/bin/id')?.reasons).toEqual([{ kind: 'symlink-target', of: `${scratch}/plain/id` }]);
  });

  it('refuses, naming the field and the symlink, a relative link that leaves a tree copied elsewhere, a dangling one and one into /proc', async () => {
    const cases: [string, string, string][] = [
      ['leaves', '../../etc/hostname', 'its target leaves the copied'],
      ['dangles', 'no-such-file', 'its target does not exist on the host'],
      ['proc', '/proc/self/mounts', 'it leads into /proc, which the kernel fills at run time and no jail can hold'],
    ];
    for (const [name, target, words] of cases) {
      mkdirSync(join(scratch, `bad-${name}/d`), { recursive: true });
      symlinkSync(target, join(scratch, `bad-${name}/d/link`));
      const file = recipeFile(`bad-${name}.ts`, `name: 'bad', devices: [], files: ['/usr/bin/id', { from: './bad-${name}', to: '/srv/x' }]`);
      await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(
        `Can't use recipe at ${file}: field files.1: symlink at ${scratch}/bad-${name}/d/link (-> ${target}): ${words}`,
      );
    }
    const plain = recipeFile('bad-plain.ts', `name: 'bad', devices: [], files: ['${scratch}/bad-proc/d']`);
    await expect(loadRecipe(plain).then((r) => buildPlan(r))).rejects.toThrow(`field files.0: symlink at ${scratch}/bad-proc/d/link (-> /proc/self/mounts): it leads into /proc`);
  });

  it('refuses a symlink that points at the root directory', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/', join(scratch, 'to-root'));
    const file = recipeFile('to-root.ts', `name: 'to-root', files: ['${scratch}/to-root']`);
    await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(`Can't use recipe at ${file}: field files.0: symlink at ${scratch}/to-root (-> /): it points at the root directory`);
  });

  it('makes the recipe\'s links, root-owned, each with its field as reason, in either form', async () => {
    const record = recipeFile('links-record.ts', `name: 'lr', devices: [], binaries: ['/usr/bin/busybox'], links: { '/bin/sh': '/usr/bin/busybox', '/usr/bin/ls': 'busybox', '/usr/bin/sh2': '../../bin/sh' }`);
    const list = recipeFile('links-list.ts', `name: 'll', devices: [], binaries: ['/usr/bin/busybox'], links: [{ path: '/bin/sh', target: '/usr/bin/busybox' }]`);
    const recordPlan = await buildPlan(await loadRecipe(record));
    const links = recordPlan.manifest.entries.filter((e) => e.type === 'symlink');
    expect(links).toEqual([
      { type: 'symlink', path: '/bin/sh', target: '/usr/bin/busybox', mode: '0777', uid: 0, gid: 0, reasons: [{ kind: 'recipe', field: 'links./bin/sh' }] },
      { type: 'symlink', path: '/usr/bin/ls', target: 'busybox', mode: '0777', uid: 0, gid: 0, reasons: [{ kind: 'recipe', field: 'links./usr/bin/ls' }] },
      { type: 'symlink', path: '/usr/bin/sh2', target: '../../bin/sh', mode: '0777', uid: 0, gid: 0, reasons: [{ kind: 'recipe', field: 'links./usr/bin/sh2' }] },
    ]);
    const listPlan = await buildPlan(await loadRecipe(list));
    expect(listPlan.manifest.entries.find((e) => e.path === '/bin/sh')?.reasons).toEqual([{ kind: 'recipe', field: 'links.0' }]);
  });

  it('refuses a link that leads to nothing in the jail, one over a planned file, and one that is not a jail path', async () => {
    const cases: [string, string][] = [
      [`links: { '/bin/sh': '/usr/bin/dash' }`, `field links./bin/sh: the link /bin/sh -> /usr/bin/dash leads to /usr/bin/dash, which is not in the jail`],
      [`links: [{ path: '/usr/bin/busybox', target: 'sh' }]`, 'field links.0: /usr/bin/busybox is already in the jail as a file'],
      [`links: { 'bin/sh': '/usr/bin/busybox' }`, 'field links.bin/sh'],
      [`links: [{ path: '/bin/sh', target: 'a\\nb' }]`, 'field links.0.target: must not contain control characters'],
    ];
    for (const [links, words] of cases) {
      const file = recipeFile('links-bad.ts', `name: 'lb', devices: [], binaries: ['/usr/bin/busybox'], ${links}`);
      await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(words);
    }
  });

  it('gives the service user the account\'s home and shell in the jail\'s etc/passwd, with the host\'s ids', async () => {
    const file = recipeFile('account.ts', `name: 'acct', devices: [], user: 'nobody', group: 'nogroup', binaries: ['/usr/bin/busybox'],
      links: { '/bin/sh': '/usr/bin/busybox' }, account: { home: '/home/nobody', shell: '/bin/sh' },
      writable: [{ path: '/home/nobody', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'the home of the user' }]`);
    const plan = await buildPlan(await loadRecipe(file));
    const passwd = plan.contents.get('/etc/passwd');
    expect(passwd?.kind === 'bytes' ? passwd.data.toString() : '').toBe('root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/home/nobody:/bin/sh\n');
  });

  it('refuses a recipe\'s own etc/passwd with the way to shape it instead, and an account that names what the jail lacks', async () => {
    writeFileSync(join(scratch, 'passwd'), 'root:x:0:0::/:/bin/sh\n');
    const cases: [string, string][] = [
      [`user: 'nobody', files: [{ from: './passwd', to: '/etc/passwd' }]`,
        "field files.0: brings its own /etc/passwd, but mkjail writes the jail's /etc/passwd itself (root and the service identity, with the host's numeric ids) (fix: remove it from the recipe; name the service user with user and group, and give it a home and a shell in the jail with account: { home: '/home/NAME', shell: '/bin/sh' })"],
      [`files: ['/etc/group']`, "field files.0: brings its own /etc/group"],
      [`user: 'nobody', account: { home: '/home/nobody' }`, 'field account.home: /home/nobody is not a directory in the jail'],
      [`user: 'nobody', account: { shell: '/bin/sh' }`, 'field account.shell: /bin/sh is not a program in the jail'],
      [`account: { shell: '/bin/sh' }`, 'field account: an account without a user'],
    ];
    for (const [body, words] of cases) {
      const file = recipeFile('account-bad.ts', `name: 'ab', devices: [], ${body}`);
      const line = await loadRecipe(file).then((r) => buildPlan(r)).then(() => 'built', (error: MkjailError) => error.toLine());
      expect(line).toContain(`Can't use recipe at ${file}: ${words}`);
    }
  });

  it('takes a self-chrooting daemon\'s bounding set from run.capabilities, for the launcher and the unit', async () => {
    const file = recipeFile('self-caps.ts', `name: 'self-caps', run: { argv: ['/usr/sbin/sshd', '-D'], chroot: 'self', capabilities: ['setgid', 'sys_chroot', 'setuid'] }`);
    const plan = await buildPlan(await loadRecipe(file));
    expect(plan.manifest.run?.capabilities).toEqual(['sys_chroot', 'setuid', 'setgid']);
    const launcher = renderLauncher(plan.manifest) ?? '';
    expect(launcher).toContain('/usr/bin/setpriv --no-new-privs --bounding-set=-all,+sys_chroot,+setuid,+setgid -- /usr/sbin/sshd -D');
    expect(renderSystemdUnit(plan.manifest, '/srv/jails/x')).toContain('CapabilityBoundingSet=CAP_SYS_CHROOT CAP_SETUID CAP_SETGID\n');
    const none = recipeFile('self-none.ts', `name: 'self-none', run: { argv: ['/usr/sbin/sshd', '-D'], chroot: 'self' }`);
    expect(renderLauncher((await buildPlan(await loadRecipe(none))).manifest)).toContain('--bounding-set=-all -- /usr/sbin/sshd -D');
  });
});
