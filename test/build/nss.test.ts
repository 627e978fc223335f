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

  it('refuses passwd without a user, a second nsswitch.conf, and an unknown database', async () => {
    expect((await refused(getentRecipe("['passwd']", ''))).stderr).toContain("field nss.0: passwd from files reads the jail's etc/passwd, which mkjail writes only for a recipe with a user");
    const twice = await refused(getentRecipe("['passwd']", `user: 'nobody', include: ['${join(REPO_ROOT, 'recipes/glibc-nss-base.ts')}'],`));
    expect(twice.stderr).toContain('field nss.0: the recipe also brings its own /etc/nsswitch.conf (files.0 (glibc-nss-base))');
    const unknown = await refused(getentRecipe("['shadow']"));
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('field nss.0');
  });
});
