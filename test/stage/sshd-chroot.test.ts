// Tree-only jails (a recipe without run): no launcher and no unit beside them, and the build says when
// sshd would refuse the jail as a ChrootDirectory (a path component not root-owned, or group/other-writable).
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdChrootProblems } from '../../src/stage/sshd-chroot.js';
import { runBuild } from '../../src/stage/run-build.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true });
const TREE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'tree-only', binaries: ['/usr/bin/id'], user: 'nobody', group: 'nogroup' });
`;

describe.skipIf(!ok)('a tree-only jail', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = makeScratch('tree-only-');
    writeFileSync(join(scratch, 'tree.ts'), TREE);
    writeFileSync(join(scratch, 'with-run.ts'), TREE.replace("group: 'nogroup'", "group: 'nogroup', run: { argv: ['/usr/bin/id'] }"));
  });
  afterAll(() => removeScratch(scratch));

  it('has no launcher and no unit, and no warning below root-owned 0755 directories', async () => {
    const out = join(scratch, 'good');
    const result = await runBuild({ recipe: join(scratch, 'tree.ts'), out });
    expect(readdirSync(out).sort()).toEqual(['.mkjail-output', 'manifest.json', 'perms.sh', 'root']);
    expect(result.warnings.filter((w) => w.includes('ChrootDirectory'))).toEqual([]);
    expect(sshdChrootProblems(join(out, 'root'))).toEqual([]);
  });

  it('says what sshd would refuse: a group-writable parent, and one another user owns', async () => {
    const shared = join(scratch, 'shared');
    mkdirSync(join(shared, 'mine'), { recursive: true });
    chmodSync(shared, 0o775);
    chownSync(join(shared, 'mine'), 65534, 65534);
    const result = await runBuild({ recipe: join(scratch, 'tree.ts'), out: join(shared, 'jail') });
    const warning = result.warnings.find((w) => w.includes('ChrootDirectory'));
    expect(warning).toBe(
      `this jail is a tree to enter (no run, or an sshd block), but sshd refuses ${shared}/jail/root as a ChrootDirectory ("bad ownership or modes for chroot directory"): ${shared} is writable by group or others (mode 0775) (fix: chown root:root ${shared} && chmod go-w ${shared}, or build below root-owned 0755 directories such as /srv/jails)`,
    );
    expect(sshdChrootProblems(join(shared, 'mine', 'root'))).toEqual([`${shared} is writable by group or others (mode 0775)`, `${shared}/mine is owned by uid 65534, not root`]);
  });

  it('is not checked for sshd when the recipe has run (the launcher enters it)', async () => {
    const result = await runBuild({ recipe: join(scratch, 'with-run.ts'), out: join(scratch, 'shared', 'with-run') });
    expect(result.warnings.filter((w) => w.includes('ChrootDirectory'))).toEqual([]);
    expect(existsSync(join(scratch, 'shared', 'with-run', 'launch'))).toBe(true);
  });
});
