// Prerequisites of tests that need root or a Debian package. Unprivileged `npm test` skips them with
// the reason; with CI=true a missing prerequisite fails the run instead (nothing may skip in CI).
import { accessSync, constants } from 'node:fs';

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

/**
 * Checks prerequisites for a describe block: returns true when all are met. When some are missing it
 * returns false (use with `describe.skipIf(!ok)`), and under CI=true it throws so the file fails.
 * Example: `const ok = prerequisites({ root: true, commands: ['named', 'dig'], packages: 'bind9 bind9-dnsutils' });`
 */
export function prerequisites(need: { root?: boolean; commands?: string[]; packages?: string }): boolean {
  const missing: string[] = [];
  if (need.root && !isRoot()) missing.push('root');
  for (const command of need.commands ?? []) if (!hasCommand(command)) missing.push(command);
  if (missing.length === 0) return true;
  const message = `missing prerequisites: ${missing.join(', ')}${need.packages ? ` (Debian packages: ${need.packages})` : ''}`;
  if (IN_CI) throw new Error(`CI=true and ${message}: install them (.ci/run does) instead of skipping`);
  console.warn(`skipping: ${message}`);
  return false;
}
