// Prerequisites of tests that need root or a Debian package. Unprivileged `npm test` skips them with
// the reason; with CI=true a missing prerequisite fails the run instead (nothing may skip in CI).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url));
/** What tests read of the checkout as another user: mkjail itself, and recipes with their local files. */
const READ_BY_OTHERS = ['bin/mkjail', 'dist/cli/main.js', 'node_modules/jiti/package.json', 'recipes/glibc-nss-base.ts', 'recipes/glibc-nss-base/nsswitch.conf'];

/**
 * True when user nobody can read the checkout (as a clone made under umask 022 is; under a hardened
 * umask such as 027 it is not). Asked of the kernel, as nobody, through setpriv.
 */
export function checkoutReadableByOthers(): boolean {
  const paths = READ_BY_OTHERS.map((path) => `${CHECKOUT}${path}`);
  const script = 'for f do test -r "$f" || exit 1; done';
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', script, 'sh', ...paths]).status === 0;
}

/**
 * Checks prerequisites for a describe block: returns true when all are met. When some are missing it
 * returns false (use with `describe.skipIf(!ok)`), and under CI=true it throws so the file fails.
 * Example: `const ok = prerequisites({ root: true, commands: ['named', 'dig'], packages: 'bind9 bind9-dnsutils' });`
 * `readableCheckout` (needs root and setpriv): the test runs mkjail, or jails a recipe's files, as another user.
 */
export function prerequisites(need: { root?: boolean; commands?: string[]; packages?: string; readableCheckout?: boolean }): boolean {
  const missing: string[] = [];
  if (need.root && !isRoot()) missing.push('root');
  const commands = (need.commands ?? []).filter((command) => !hasCommand(command));
  if (commands.length > 0) missing.push(`${commands.join(', ')}${need.packages ? ` (Debian packages: ${need.packages})` : ''}`);
  if (need.readableCheckout && missing.length === 0 && !checkoutReadableByOthers()) {
    missing.push(`a checkout that other users can read (the test reads it as nobody; a clone made under umask 027 or 077 needs chmod -R o+rX ${CHECKOUT})`);
  }
  if (missing.length === 0) return true;
  const message = `missing prerequisites: ${missing.join(', ')}`;
  if (IN_CI) throw new Error(`CI=true and ${message}: install them (.ci/run does) instead of skipping`);
  console.warn(`skipping: ${message}`);
  return false;
}
