// createUser: true end to end, with the real useradd and groupadd of this host: --check creates nothing,
// a build creates a system user and group once (no home, nologin) and a second build creates nothing;
// bad names and builds that can't create are one clean line, and a half-made account is taken back.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/plan/manifest.js';
import { registeredJails } from '../../src/stage/jail-registry.js';
import { mkjail } from '../helpers/cli.js';
import { mkjailForOthers } from '../helpers/mkjail-for-others.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['useradd', 'groupadd', 'userdel', 'groupdel', 'getent', 'setpriv'], packages: 'passwd util-linux' });

const USER = 'mkjt-13u-svc';
const OTHER_GROUP = 'mkjt-13u-grp';
const ROLLBACK = 'mkjt-13u-rb';
const NOT_ROOT = 'mkjt-13u-nr';
const TEST_ACCOUNTS = [USER, OTHER_GROUP, ROLLBACK, NOT_ROOT];

function entry(database: 'passwd' | 'group', name: string): string[] | undefined {
  const result = spawnSync('getent', [database, name], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().split(':') : undefined;
}

/** Removes the test's accounts, only those named for this test (mkjt-13u-*). */
function removeTestAccounts(): void {
  for (const name of TEST_ACCOUNTS) {
    if (entry('passwd', name)) execFileSync('userdel', ['--', name]);
    if (entry('group', name)) execFileSync('groupdel', ['--', name]);
  }
}

/** The error line a failed build ends with (its progress lines come before it). */
function lastLine(stderr: string): string | undefined {
  return stderr.trim().split('\n').at(-1);
}

function recipe(fields: string): string {
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'accounts-test',
  binaries: ['/usr/bin/id'],
  ${fields}
  run: { argv: ['/usr/bin/id'] },
});
`;
}

describe.skipIf(!ok)('createUser: true', () => {
  const scratch = ok ? makeScratch('accounts-') : '';
  if (ok) removeTestAccounts();
  afterAll(() => {
    removeTestAccounts();
    if (scratch) removeScratch(scratch);
  });

  /** Writes recipe text to scratch/NAME.ts and returns its path and an output directory beside it. */
  const place = (name: string, fields: string) => {
    const file = join(scratch, `${name}.ts`);
    writeFileSync(file, recipe(fields));
    return { file, out: join(scratch, `${name}-out`) };
  };
  const serviceRecipe = place('service', `user: '${USER}',\n  createUser: true,\n  writable: [{ path: '/var/lib/state', owner: '${USER}', group: '${USER}', mode: '0700', why: 'the service keeps its state here' }],`);

  it('with --check, says it would create the user and its group, and creates nothing', async () => {
    const human = await mkjail(['build', serviceRecipe.file, '--out', serviceRecipe.out, '--check']);
    expect(human.exitCode, human.stderr).toBe(1);
    expect(human.stdout.split('\n').slice(0, 2)).toEqual([`would create system group ${USER}`, `would create system user ${USER}: no home, shell /usr/sbin/nologin`]);
    const json = await mkjail(['build', serviceRecipe.file, '--out', serviceRecipe.out, '--check', '--json']);
    expect(JSON.parse(json.stdout).createdAccounts).toEqual([{ type: 'group', name: USER, id: null }, { type: 'user', name: USER, id: null }]);
    expect([entry('passwd', USER), entry('group', USER)]).toEqual([undefined, undefined]);
    expect(existsSync(serviceRecipe.out)).toBe(false);
    expect(registeredJails()).toEqual([]);
  });

  it('creates a system user in a group of its own, without home or login shell, and jails it', async () => {
    const result = await mkjail(['build', serviceRecipe.file, '--out', serviceRecipe.out, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [name, , uid, gid, comment, home, shell] = entry('passwd', USER) ?? [];
    expect({ name, comment, home, shell }).toEqual({ name: USER, comment: 'mkjail accounts-test service', home: '/nonexistent', shell: '/usr/sbin/nologin' });
    expect(Number(uid)).toBeLessThan(1000);
    expect(entry('group', USER)?.[2]).toBe(gid);
    expect(existsSync('/nonexistent')).toBe(false);
    const report = JSON.parse(result.stdout) as { createdAccounts: unknown; changes: string[] };
    expect(report.createdAccounts).toEqual([{ type: 'group', name: USER, id: Number(gid) }, { type: 'user', name: USER, id: Number(uid) }]);
    expect(report.changes.slice(0, 2)).toEqual([`create system group ${USER} (gid ${gid})`, `create system user ${USER} (uid ${uid}): no home, shell /usr/sbin/nologin`]);
    const manifest = readManifest(join(serviceRecipe.out, 'manifest.json'));
    expect(manifest.identity).toEqual({ user: USER, uid: Number(uid), group: USER, gid: Number(gid) });
    expect(manifest.entries.find((e) => e.path === '/var/lib/state')).toMatchObject({ uid: Number(uid), gid: Number(gid), mode: '0700' });
    expect(registeredJails()).toEqual([{ dir: serviceRecipe.out, recipe: 'accounts-test', user: USER, uid: Number(uid), group: USER, gid: Number(gid) }]);
    const run = await mkjail(['run', serviceRecipe.out]);
    expect(run.stdout).toBe(`uid=${uid}(${USER}) gid=${gid}(${USER}) groups=${gid}(${USER})`);
  });

  it('creates nothing the second time: the build writes nothing and reports no account', async () => {
    const before = [entry('passwd', USER), entry('group', USER)];
    const human = await mkjail(['build', serviceRecipe.file, '--out', serviceRecipe.out]);
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).not.toContain('created');
    const json = JSON.parse((await mkjail(['build', serviceRecipe.file, '--out', serviceRecipe.out, '--json'])).stdout);
    expect(json).toMatchObject({ changed: false, changes: [], createdAccounts: [] });
    expect([entry('passwd', USER), entry('group', USER)]).toEqual(before);
  });

  it('creates only the group when the user exists and the recipe names a group the host lacks', async () => {
    const { file, out } = place('group-only', `user: '${USER}',\n  group: '${OTHER_GROUP}',\n  createUser: true,`);
    const result = await mkjail(['build', file, '--out', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    const gid = entry('group', OTHER_GROUP)?.[2];
    expect(result.stdout.split('\n')[0]).toBe(`created system group ${OTHER_GROUP} (gid ${gid})`);
    expect(readManifest(join(out, 'manifest.json')).identity).toMatchObject({ user: USER, group: OTHER_GROUP, gid: Number(gid) });
  });

  it('refuses createUser without a user, or a name useradd may refuse, in one line and creating nothing', async () => {
    const lonely = place('no-user', 'createUser: true,');
    const alone = await mkjail(['build', lonely.file, '--out', lonely.out]);
    expect({ exitCode: alone.exitCode, line: lastLine(alone.stderr) }).toEqual({
      exitCode: 2,
      line: `mkjail build: Can't use recipe at ${lonely.file}: field createUser: createUser without a user (fix: name the service's own user: user: 'NAME' (and group, or a group of the same name is created))`,
    });
    const shouting = place('bad-name', "user: 'MKJT-13U-UPPER',\n  createUser: true,");
    const result = await mkjail(['build', shouting.file, '--out', shouting.out]);
    expect(result.exitCode).toBe(2);
    expect(lastLine(result.stderr)).toMatch(/^mkjail build: Can't use recipe at \S+: field user: createUser: user MKJT-13U-UPPER does not exist on the host and is not a name mkjail creates \(fix: .*\)$/);
    expect(entry('passwd', 'MKJT-13U-UPPER')).toBeUndefined();
  });

  it('says in one line, exit 3, that only root can create the user (a --tar build as nobody)', async () => {
    const forNobody = mkjailForOthers();
    const home = join(scratch, 'nobody');
    try {
      mkdirSync(home);
      const file = join(home, 'r.ts');
      writeFileSync(file, recipe(`user: '${NOT_ROOT}',\n  createUser: true,`));
      execFileSync('chown', ['-R', '65534:65534', home]);
      chmodSync(home, 0o755);
      const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, forNobody.bin, 'build', file, '--out', join(home, 'out'), '--tar', join(home, 'r.tar')], {
        encoding: 'utf8',
        cwd: home,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      });
      expect({ status: result.status, line: lastLine(result.stderr) }).toEqual({
        status: 3,
        line: `mkjail build: Can't create system user ${NOT_ROOT} on the host: not running as root (the recipe says createUser: true) (fix: run the build as root once, or create the account yourself (useradd --system))`,
      });
      expect(entry('passwd', NOT_ROOT)).toBeUndefined();
    } finally {
      forNobody.cleanup();
    }
  });

  it('reports a useradd that fails in one line, exit 3, and removes the group it had just created', async () => {
    // A useradd that fails the way a locked or full passwd database makes it fail, first on PATH; the
    // real groupadd and groupdel run.
    const bin = join(scratch, 'failing-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'useradd'), '#!/bin/sh\necho "useradd: cannot lock /etc/passwd; try again later." >&2\nexit 10\n', { mode: 0o755 });
    const { file, out } = place('rollback', `user: '${ROLLBACK}',\n  createUser: true,`);
    const result = await mkjail(['build', file, '--out', out], { env: { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` } });
    expect({ exitCode: result.exitCode, line: lastLine(result.stderr) }).toEqual({
      exitCode: 3,
      line: `mkjail build: Can't create system user ${ROLLBACK} on the host: useradd exited 10: useradd: cannot lock /etc/passwd; try again later. (fix: create it yourself (useradd --system --no-create-home --shell /usr/sbin/nologin ${ROLLBACK}) and build again)`,
    });
    expect([entry('passwd', ROLLBACK), entry('group', ROLLBACK)]).toEqual([undefined, undefined]);
    expect(existsSync(out)).toBe(false);
  });
});
