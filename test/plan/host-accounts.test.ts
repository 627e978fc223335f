// The host's accounts, asked ahead in one shell (prefetchHostAccounts): the answers kept are the ones
// getent and id give when asked one by one, an account that is not there is not kept, and the names
// asked reach getent as arguments, never as shell text.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { hostGroupIdsOf, lookUpHostGroup, lookUpHostUser, prefetchHostAccounts } from '../../src/plan/host-accounts.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ commands: ['getent', 'id'], packages: 'libc-bin coreutils' });
const getent = (database: string, key: string) => execFileSync('getent', [database, key], { encoding: 'utf8' }).split('\n')[0]?.split(':');

describe.skipIf(!ok)('prefetchHostAccounts', () => {
  it("keeps what getent and id say of a user, its named group and, without one, its primary group", async () => {
    await prefetchHostAccounts('nobody', 'nogroup');
    await prefetchHostAccounts('root', undefined);
    const [name, , uid, gid] = getent('passwd', 'nobody') ?? [];
    expect(lookUpHostUser('nobody')).toMatchObject({ name, uid: Number(uid), gid: Number(gid) });
    expect(lookUpHostGroup('nogroup')?.gid).toBe(Number(getent('group', 'nogroup')?.[2]));
    expect(lookUpHostGroup('0')?.name).toBe(getent('group', '0')?.[0]);
    expect(hostGroupIdsOf('nobody')).toEqual(execFileSync('id', ['-G', '--', 'nobody'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number));
  });

  it('keeps nothing for names the host does not have, and passes names to the commands as arguments only', async () => {
    const marker = join(tmpdir(), `mkjail-prefetch-${process.pid}`);
    const hostile = `x$(touch ${marker})\`touch ${marker}\`;touch ${marker}`;
    await prefetchHostAccounts(hostile, hostile);
    expect(existsSync(marker)).toBe(false);
    rmSync(marker, { force: true });
    expect(lookUpHostUser(hostile)).toBeUndefined();
    expect(lookUpHostGroup(hostile)).toBeUndefined();
  });
});
