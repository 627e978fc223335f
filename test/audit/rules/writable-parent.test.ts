import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ancestors, writableParent } from '../../../src/audit/rules/writable-parent.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

function jailBelow(mode: number, uid = 0) {
  let parent = '';
  return {
    rootAt(scratch: string) {
      parent = join(scratch, 'jails');
      mkdirSync(parent);
      chmodSync(parent, mode);
      chownSync(parent, uid, 0);
      return join(parent, 'root');
    },
    parent: () => parent,
  };
}

describe('listing the directories above a jail', () => {
  it('walks from / down to the parent of the jail root', () => {
    expect(ancestors('/srv/jails/named')).toEqual(['/', '/srv', '/srv/jails']);
    expect(ancestors('/jail')).toEqual(['/']);
    expect(ancestors('/')).toEqual([]);
  });
});

describe.skipIf(!ok)('the writable-parent rule', () => {
  it('reports a group-writable directory above the jail, and nothing else', async () => {
    const below = jailBelow(0o775);
    const findings = await auditWithFlaw(() => undefined, { rootAt: below.rootAt });
    expect(findings).toEqual([findingOf(writableParent, below.parent(), 'directory mode 0775, owner 0:0')]);
  });

  it('reports a directory above the jail owned by a non-root user', async () => {
    const below = jailBelow(0o755, 1000);
    const findings = await auditWithFlaw(() => undefined, { rootAt: below.rootAt });
    expect(findings).toEqual([findingOf(writableParent, below.parent(), 'directory mode 0755, owner 1000:0')]);
  });

  it('reports a sticky world-writable directory above the jail as high', async () => {
    const below = jailBelow(0o1777);
    const findings = await auditWithFlaw(() => undefined, { rootAt: below.rootAt });
    expect(findings).toEqual([findingOf(writableParent, below.parent(), 'directory mode 1777, owner 0:0 (sticky)', 'high')]);
  });

  it('reports the writable directory holding a symlink through which the jail is reached', async () => {
    let open = '';
    let link = '';
    const findings = await auditWithFlaw(() => undefined, {
      rootAt(scratch) {
        open = join(scratch, 'open');
        mkdirSync(open, { mode: 0o777 });
        chmodSync(open, 0o777);
        link = join(open, 'jail');
        symlinkSync('../root', link);
        return join(scratch, 'root');
      },
      auditAt: () => link,
    });
    expect(findings).toEqual([findingOf(writableParent, open, 'directory mode 0777, owner 0:0')]);
  });
});
