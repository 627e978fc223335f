// A jail without `run` is a tree for something else to enter: an sshd ChrootDirectory, a user's home
// jail. sshd refuses a ChrootDirectory unless every component of its path is a root-owned directory that
// group and others can't write (sshd_config(5)); the build checks that and says what would be refused.
import { posix } from 'node:path';
import { modeOf } from '../fs/host-trust.js';
import { lstatOrUndefined } from '../fs/path-in-root.js';

/**
 * What sshd would refuse on the way to `root` (an absolute host path): each existing component from `/`
 * that is not a directory, not owned by root, or writable by group or others (sticky or not). Components
 * that do not exist yet are made by the build, root-owned 0755.
 */
export function sshdChrootProblems(root: string): string[] {
  const problems: string[] = [];
  for (let path = root; ; path = posix.dirname(path)) {
    const stats = lstatOrUndefined(path);
    if (stats && !stats.isDirectory()) problems.push(`${path} is not a directory`);
    else if (stats && stats.uid !== 0) problems.push(`${path} is owned by uid ${stats.uid}, not root`);
    else if (stats && (stats.mode & 0o022) !== 0) problems.push(`${path} is writable by group or others (mode ${modeOf(stats)})`);
    if (path === '/') break;
  }
  return problems.reverse();
}

/** The build's warning for a tree-only jail sshd can't use as its ChrootDirectory, or undefined. */
export function sshdChrootWarning(root: string): string | undefined {
  const problems = sshdChrootProblems(root);
  if (problems.length === 0) return undefined;
  const fixes = problems.map((p) => p.split(' ')[0]).join(' ');
  return `this jail is a tree to enter (no run, or an sshd block), but sshd refuses ${root} as a ChrootDirectory ("bad ownership or modes for chroot directory"): ${problems.join('; ')} (fix: chown root:root ${fixes} && chmod go-w ${fixes}, or build below root-owned 0755 directories such as /srv/jails)`;
}
