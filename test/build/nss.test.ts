// The recipe field `nss`: a minimal nsswitch.conf for the databases named, the files their sources read,
// and a libnss module only for a source glibc 2.36 does not build in (files and dns are in libc). Built
// for real and asked with getent inside the jail, as nobody. A source that needs a daemon the jail
// cannot reach is a one-line recipe error naming it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'chroot'], packages: 'libc-bin coreutils' });

const getentRecipe = (nss: string, extra = "user: 'nobody', group: 'nogroup',") => `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'getent', binaries: ['/usr/bin/getent'], ${extra} nss: ${nss} });
`;

describe.skipIf(!ok)('the nss field', () => {
  const jails: BuiltJail[] = [];
  let scratch: string;
  beforeAll(() => {
    scratch = makeScratch('nss-');
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    removeScratch(scratch);
  });
  const getent = (jail: BuiltJail, ...args: string[]) => spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, '/usr/bin/getent', ...args], { encoding: 'utf8' });

  it('writes an nsswitch.conf for the databases named, with their files and no module', async () => {
    const jail = await buildJail(getentRecipe("['passwd', 'group', 'hosts']"));
    jails.push(jail);
    expect(readFileSync(join(jail.root, 'etc/nsswitch.conf'), 'utf8')).toBe(
      "# Written by mkjail from the recipe's nss field: only the databases the service looks up.\npasswd:         files\ngroup:          files\nhosts:          files dns\n",
    );
    const byPath = new Map(jail.manifest.entries.map((entry) => [entry.path, entry]));
    expect(byPath.get('/etc/nsswitch.conf')?.reasons).toEqual([{ kind: 'recipe', field: 'nss' }]);
    expect(byPath.get('/etc/hosts')?.reasons).toEqual([{ kind: 'nss', service: 'hosts' }]);
    expect(byPath.get('/etc/resolv.conf')?.reasons ?? byPath.get('/etc/resolv.conf')).toBeDefined();
    expect(jail.manifest.entries.filter((entry) => entry.path.includes('libnss_'))).toEqual([]);
    expect(getent(jail, 'passwd', 'nobody')).toMatchObject({ status: 0, stdout: 'nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' });
    expect(getent(jail, 'group', 'nogroup')).toMatchObject({ status: 0, stdout: 'nogroup:x:65534:\n' });
    expect(getent(jail, 'hosts', 'localhost').stdout).toMatch(/^(127\.0\.0\.1|::1)\s+localhost/);
  });

  it('brings the module of a source that is not built in (compat), with its reason, and it answers', async () => {
    const jail = await buildJail(getentRecipe("[{ database: 'passwd', sources: ['compat'] }]"));
    jails.push(jail);
    const module = jail.manifest.entries.find((entry) => entry.path.endsWith('/libnss_compat.so.2') && entry.type === 'file');
    expect(module?.reasons).toEqual([{ kind: 'binary', field: 'nss.0' }]);
    expect(readFileSync(join(jail.root, 'etc/nsswitch.conf'), 'utf8')).toContain('passwd:         compat\n');
    expect(getent(jail, 'passwd', 'nobody')).toMatchObject({ status: 0, stdout: 'nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' });
  });

  const refused = async (text: string) => {
    const recipe = join(scratch, 'refused.ts');
    writeFileSync(recipe, text);
    const result = await mkjail(['build', recipe, '--out', join(scratch, 'out')]);
    return { ...result, recipe };
  };

  it('refuses a source that answers through a daemon the jail cannot reach, in one line naming it', async () => {
    const result = await refused(getentRecipe("['hosts', { database: 'passwd', sources: ['files', 'systemd'] }]"));
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `mkjail build: Can't use recipe at ${result.recipe}: field nss.1: the NSS source systemd of passwd answers through systemd-userdbd and the D-Bus system bus (/run/systemd/userdb, /run/dbus/system_bus_socket), which the jail cannot reach (fix: use sources that read the jail's own files: nss: ['passwd'] (files), or { database: 'passwd', sources: ['files'] })`,
    );
    for (const source of ['resolve', 'sss', 'ldap']) {
      const again = await refused(getentRecipe(`[{ database: 'hosts', sources: ['${source}'] }]`));
      expect(again.exitCode).toBe(2);
      expect(again.stderr).toContain(`field nss.0: the NSS source ${source} of hosts answers through`);
    }
  });

  it("names: the host's users and groups the service looks up, without password, members only the jail's users", async () => {
    const group = 'mkjt-nss-members';
    spawnSync('groupdel', [group]);
    expect(spawnSync('groupadd', ['--system', '--users', 'daemon,bin', group]).status).toBe(0);
    try {
      const host = (database: string, key: string) => spawnSync('getent', [database, key], { encoding: 'utf8' }).stdout;
      const jail = await buildJail(getentRecipe(`[{ database: 'passwd', names: ['daemon', 'nobody', 'root'] }, { database: 'group', names: ['${group}'] }]`));
      jails.push(jail);
      expect(readFileSync(join(jail.root, 'etc/passwd'), 'utf8')).toBe(`root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n${host('passwd', 'daemon')}`);
      const gid = host('group', group).split(':')[2];
      expect(readFileSync(join(jail.root, 'etc/group'), 'utf8')).toBe(`root:x:0:\nnogroup:x:65534:\n${group}:x:${gid}:daemon\n`);
      expect(getent(jail, 'passwd', 'daemon')).toMatchObject({ status: 0, stdout: host('passwd', 'daemon') });
      expect(getent(jail, 'group', group)).toMatchObject({ status: 0, stdout: `${group}:x:${gid}:daemon\n` });
      const passwd = jail.manifest.entries.find((entry) => entry.path === '/etc/passwd');
      expect(passwd?.reasons).toEqual([{ kind: 'identity', why: "names the service identity inside the jail (root, the service user, and the host's entries nss names)" }]);
    } finally {
      spawnSync('groupdel', [group]);
    }
  });

  it('refuses a name the host lacks, names of a database other than passwd and group, and names no source reads', async () => {
    const missing = await refused(getentRecipe("['hosts', { database: 'passwd', names: ['daemon', 'mkjt-no-such-user'] }]"));
    expect([missing.exitCode, missing.stderr.trim().split('\n').at(-1)]).toEqual([
      2,
      `mkjail build: Can't use recipe at ${missing.recipe}: field nss.1.names.1: user mkjt-no-such-user does not exist on the host (fix: create it on the host, or remove it from names: the jail's etc/passwd holds only users the host has)`,
    ]);
    const group = await refused(getentRecipe("[{ database: 'group', names: ['mkjt-no-such-group'] }]"));
    expect(group.stderr).toContain('field nss.0.names.0: group mkjt-no-such-group does not exist on the host');
    const hosts = await refused(getentRecipe("[{ database: 'hosts', names: ['localhost'] }]"));
    expect([hosts.exitCode, hosts.stderr]).toEqual([2, expect.stringContaining("field nss.0.names: names are users (database: 'passwd') or groups (database: 'group') the service looks up")]);
    const unread = await refused(getentRecipe("[{ database: 'passwd', sources: ['db'], names: ['daemon'] }]"));
    expect(unread.stderr).toContain("field nss.0.names: names are written to the jail's etc/passwd, which none of the sources db reads");
  });

  it('refuses passwd without a user, a second nsswitch.conf, and an unknown database', async () => {
    expect((await refused(getentRecipe("['passwd']", ''))).stderr).toContain("field nss.0: passwd from files reads the jail's etc/passwd, which mkjail writes only for a recipe with a user");
    const twice = await refused(getentRecipe("['passwd']", `user: 'nobody', include: ['${join(REPO_ROOT, 'recipes/glibc-nss-base.ts')}'],`));
    expect(twice.stderr).toContain('field nss.0: the recipe also brings its own /etc/nsswitch.conf (files.0 (glibc-nss-base))');
    const unknown = await refused(getentRecipe("['shadow']"));
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('field nss.0');
  });
});
