// Prerequisites of tests that need root or a Debian package. Unprivileged `npm test` skips them with
// the reason; with CI=true a missing prerequisite fails the run instead (nothing may skip in CI).
import { accessSync, constants, statSync } from 'node:fs';
import { REPO_ROOT } from './cli.js';

const IN_CI = process.env.CI === 'true';

/** True when running as root. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** True when `command` is an executable on PATH (or an absolute path that is executable). */
export function hasCommand(command: string): boolean {
  const dirs = command.includes('/') ? [''] : (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => {
    try {
      accessSync(dir ? `${dir}/${command}` : command, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The checkout-relative `paths` whose mode lacks read permission for others (a clone made under umask 027). */
function unreadableByOthers(paths: string[]): string[] {
  return paths.filter((path) => (statSync(`${REPO_ROOT}${path}`).mode & 0o004) === 0);
}

/**
 * Checks prerequisites for a describe block: returns true when all are met. When some are missing it
 * returns false (use with `describe.skipIf(!ok)`), and under CI=true it throws so the file fails.
 * Example: `const ok = prerequisites({ root: true, commands: ['named', 'dig'], packages: 'bind9 bind9-dnsutils' });`
 * `othersCanRead`: checkout files the test needs readable by others on the host (a recipe's own data files).
 */
export function prerequisites(need: { root?: boolean; commands?: string[]; packages?: string; othersCanRead?: string[] }): boolean {
  const missing: string[] = [];
  if (need.root && !isRoot()) missing.push('root');
  const commands = (need.commands ?? []).filter((command) => !hasCommand(command));
  if (commands.length > 0) missing.push(`${commands.join(', ')}${need.packages ? ` (Debian packages: ${need.packages})` : ''}`);
  const unreadable = unreadableByOthers(need.othersCanRead ?? []);
  if (unreadable.length > 0) {
    missing.push(`${unreadable.join(', ')} readable by others, as a clone made under umask 022 has them (this clone was made under a stricter umask: chmod -R o+rX ${REPO_ROOT})`);
  }
  if (missing.length === 0) return true;
  const message = `missing prerequisites: ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`CI=true and ${message}: provide them instead of skipping (.ci/run installs the packages)`);
  console.warn(`skipping: ${message}`);
  return false;
}
