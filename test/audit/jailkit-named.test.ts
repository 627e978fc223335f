import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../src/audit/finding.js';
import { devDirMode } from '../../src/audit/rules/dev-dir-mode.js';
import { ownerNotRoot } from '../../src/audit/rules/owner-not-root.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { findingOf } from './helpers/audit-fixture.js';
import { makeScratch, removeScratch } from './helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['jk_init', 'jk_cp', 'named', 'getcap', 'getent'], packages: 'jailkit bind9 libcap2-bin' });

/** The host's numeric id of `name` in `db` (passwd or group). */
async function hostId(db: 'passwd' | 'group', name: string): Promise<number> {
  return Number((await execa('getent', [db, name])).stdout.split(':')[2]);
}

/**
 * The jail jailkit makes for named: jk_cp copies named and its ldd libraries, jk_init adds the user,
 * /dev/null, localtime and the state directories, and the two state directories are then given to
 * bind by hand (jailkit can't express it; named refuses to start without it).
 */
describe.skipIf(!ok)('auditing a jail built by jailkit for named', () => {
  let scratch = '';
  let jail = '';
  beforeAll(async () => {
    scratch = makeScratch('jailkit-');
    jail = join(scratch, 'jail');
    mkdirSync(jail, { mode: 0o755 });
    await execa('jk_cp', ['-j', jail, '/usr/sbin/named']);
    await execa('jk_init', ['-c', join(REPO_ROOT, 'fixtures/audit/jk_init-named.ini'), '-j', jail, 'named-extras']);
    const [uid, gid] = [await hostId('passwd', 'bind'), await hostId('group', 'bind')];
    for (const dir of ['var/cache/bind', 'run/named']) {
      chownSync(join(jail, dir), uid, gid);
      chmodSync(join(jail, dir), 0o700);
    }
  });
  afterAll(() => removeScratch(scratch));

  it('finds the listable /dev and the two bind-owned directories, and exits 1', async () => {
    const [uid, gid] = [await hostId('passwd', 'bind'), await hostId('group', 'bind')];
    const result = await mkjail(['audit', '--json', jail]);
    expect(result.exitCode).toBe(1);
    const report = auditReportSchema.parse(JSON.parse(result.stdout));
    expect(report.findings).toEqual([
      findingOf(ownerNotRoot, '/run/named', `dir mode 0700, owner ${uid}:${gid}`),
      findingOf(ownerNotRoot, '/var/cache/bind', `dir mode 0700, owner ${uid}:${gid}`),
      findingOf(devDirMode, '/dev', 'mode 0755'),
    ]);
  });

  it('passes once the service directories are allowed and /dev is tightened', async () => {
    chmodSync(join(jail, 'dev'), 0o111);
    try {
      const result = await mkjail(['audit', jail, '--allow', 'owner-not-root:/run/named', '--allow', 'owner-not-root:/var/cache/bind']);
      expect(result.exitCode).toBe(0);
    } finally {
      chmodSync(join(jail, 'dev'), 0o755);
    }
  });
});
