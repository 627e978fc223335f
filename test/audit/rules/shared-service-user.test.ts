// The shared-service-user rule on real jails: one that runs as nobody, and two jails built for one user
// (found through the host's list of built jails, kept in this test file's own MKJAIL_STATE_DIR). The
// list holds one small file per output directory, written only when it changes.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../../src/audit/finding.js';
import { auditJail } from '../../../src/audit/run-audit.js';
import { sharedServiceUser } from '../../../src/audit/rules/shared-service-user.js';
import { registeredJails, registryDir } from '../../../src/stage/jail-registry.js';
import { type BuiltJail, buildJail } from '../../helpers/build-jail.js';
import { mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'useradd', 'userdel', 'groupdel'], packages: 'libcap2-bin passwd' });

const USER = 'mkjt-13u-shared';

function recipe(name: string, fields: string): string {
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: '${name}',
  binaries: ['/usr/bin/id'],
  ${fields}
  run: { argv: ['/usr/bin/id'] },
});
`;
}

function removeUser(): void {
  if (spawnSync('getent', ['passwd', USER]).status === 0) execFileSync('userdel', ['--', USER]);
  if (spawnSync('getent', ['group', USER]).status === 0) execFileSync('groupdel', ['--', USER]);
}

describe.skipIf(!ok)('the shared-service-user rule', () => {
  const jails: BuiltJail[] = [];
  let first: BuiltJail;
  let second: BuiltJail;
  beforeAll(async () => {
    removeUser();
    first = await buildJail(recipe('shared-one', `user: '${USER}',\n  createUser: true,`));
    second = await buildJail(recipe('shared-two', `user: '${USER}',\n  createUser: true,`));
    jails.push(first, second);
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    removeUser();
  });

  const audit = async (dir: string, args: string[] = []) => {
    const result = await mkjail(['audit', '--json', dir, ...args]);
    return { exitCode: result.exitCode, report: auditReportSchema.parse(JSON.parse(result.stdout)) };
  };

  it('lists every jail a root build made, one file per output directory, in MKJAIL_STATE_DIR/jails', () => {
    expect(registryDir()).toBe(join(process.env.MKJAIL_STATE_DIR ?? '', 'jails'));
    expect(readdirSync(registryDir()).filter((name) => name.endsWith('.json'))).toHaveLength(2);
    const uid = first.manifest.identity?.uid;
    expect(registeredJails().sort((a, b) => a.recipe.localeCompare(b.recipe))).toEqual([
      { dir: first.dir, recipe: 'shared-one', user: USER, uid, group: USER, gid: first.manifest.identity?.gid },
      { dir: second.dir, recipe: 'shared-two', user: USER, uid, group: USER, gid: first.manifest.identity?.gid },
    ]);
  });

  it('rewrites no entry when a rebuild changes nothing, and adds none for the same directory', async () => {
    const files = readdirSync(registryDir()).map((name) => join(registryDir(), name));
    const before = files.map((file) => statSync(file).ino);
    expect(await first.rebuild()).toMatchObject({ changed: false });
    expect(readdirSync(registryDir()).map((name) => join(registryDir(), name))).toEqual(files);
    expect(files.map((file) => statSync(file).ino)).toEqual(before);
  });

  it('reports each of two jails that run as one user, naming the other', async () => {
    const uid = first.manifest.identity?.uid ?? -1;
    const found = (other: BuiltJail, name: string) => `service user ${USER} (uid ${uid}) is also the service user of the jail at ${other.dir} (recipe ${name})`;
    expect(await audit(first.dir)).toMatchObject({ exitCode: 1, report: { findings: [findingOf(sharedServiceUser, '/etc/passwd', found(second, 'shared-two'))] } });
    expect(await audit(second.dir)).toMatchObject({ exitCode: 1, report: { findings: [findingOf(sharedServiceUser, '/etc/passwd', found(first, 'shared-one'))] } });
    // With the manifest given apart from the jail (DIR/root audited with --manifest) the jail is still itself.
    const bare = await auditJail(first.root, { manifestFile: join(first.dir, 'manifest.json') });
    expect(bare.findings.map((f) => f.found)).toEqual([found(second, 'shared-two')]);
    expect(findingOf(sharedServiceUser, '/', 'x').severity).toBe('medium');
  });

  it('is waived by --allow shared-service-user:/etc/passwd', async () => {
    expect(await audit(first.dir, ['--allow', 'shared-service-user:/etc/passwd'])).toMatchObject({ exitCode: 0, report: { findings: [], allowed: ['shared-service-user:/etc/passwd'] } });
  });

  it('sees only the jails of its own list (another MKJAIL_STATE_DIR knows of none)', async () => {
    const result = await mkjail(['audit', '--json', first.dir], { env: { MKJAIL_STATE_DIR: join(first.scratch, 'other-state') } });
    expect(JSON.parse(result.stdout).findings).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('forgets a jail whose output directory is gone: the other audits clean', async () => {
    second.cleanup();
    expect(registeredJails()).toHaveLength(2);
    expect(await audit(first.dir)).toMatchObject({ exitCode: 0, report: { findings: [] } });
  });

  it('reports a jail that runs as nobody, unless its recipe allows it with a why', async () => {
    const nobody = await buildJail(recipe('as-nobody', "user: 'nobody',\n  group: 'nogroup',"));
    jails.push(nobody);
    expect(await audit(nobody.dir)).toMatchObject({
      exitCode: 1,
      report: { findings: [findingOf(sharedServiceUser, '/etc/passwd', "service user nobody (uid 65534) is the host's catch-all user, shared by every service that runs as nobody")] },
    });
    const entry = JSON.parse(readFileSync(join(registryDir(), readdirSync(registryDir()).find((name) => readFileSync(join(registryDir(), name), 'utf8').includes('as-nobody')) ?? ''), 'utf8'));
    expect(entry).toMatchObject({ dir: nobody.dir, user: 'nobody', uid: 65534 });
    nobody.cleanup();
    const allowed = await buildJail(recipe('allowed-nobody', "user: 'nobody',\n  group: 'nogroup',\n  allow: [{ rule: 'shared-service-user', path: '/etc/passwd', why: 'a throw-away jail for a demonstration' }],"));
    jails.push(allowed);
    expect(await audit(allowed.dir)).toMatchObject({ exitCode: 0, report: { findings: [], allowed: ['shared-service-user:/etc/passwd'] } });
  });
});
