// A small jail that every audit rule passes (root-owned, tight modes, /dev 0111 with only null), built
// in a scratch directory whose parents only root can write, so a test sees exactly the flaw it plants.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { makeScratch, removeScratch, SCRATCH_BASE } from '../../helpers/scratch.js';

export const CLEAN_PASSWD = 'root:x:0:0:root:/:/nonexistent\nnamed:x:102:105::/:/nonexistent\n';
export const CLEAN_GROUP = 'root:x:0:\nnamed:x:105:\n';

/** Builds the clean jail at `root` (created): run as root so every entry is owned by 0:0. */
export function plantCleanJail(root: string): void {
  mkdirSync(root, { mode: 0o755 });
  chmodSync(root, 0o755);
  for (const dir of ['bin', 'lib', 'etc', 'dev']) mkdirSync(join(root, dir), { mode: 0o755 });
  copyFileSync('/usr/bin/true', join(root, 'bin/service'));
  chmodSync(join(root, 'bin/service'), 0o555);
  writeFileSync(join(root, 'lib/libdemo.so.1'), 'not really a library\n', { mode: 0o444 });
  symlinkSync('/lib', join(root, 'lib64'));
  writeFileSync(join(root, 'etc/passwd'), CLEAN_PASSWD, { mode: 0o444 });
  writeFileSync(join(root, 'etc/group'), CLEAN_GROUP, { mode: 0o444 });
  execFileSync('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
  chmodSync(join(root, 'dev'), 0o111);
}
