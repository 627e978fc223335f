// Each bad recipe is one clean line naming the recipe file, the field and the fix, exit code 2, and
// nothing is written. Runs the real CLI (npm run build first).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'mkjail-recipe-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
writeFileSync(join(scratch, 'data.txt'), 'data\n');

let counter = 0;

/** Writes `body` as a recipe, builds it, and returns the result and whether the output directory exists. */
async function build(body: string, extraArgs: string[] = []) {
  const file = join(scratch, `recipe-${++counter}.ts`);
  writeFileSync(file, body.includes('export default') ? body : `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ ${body} });\n`);
  const out = join(scratch, `out-${counter}`);
  const result = await mkjail(['build', file, '--out', out, '--json', ...extraArgs]);
  return { file, result, wrote: existsSync(out) };
}

const cases: Array<[title: string, body: string, error: (file: string) => string]> = [
  [
    'an unknown key',
    "name: 'x', binarys: ['/usr/bin/id']",
    (f) => `Can't use recipe at ${f}: field binarys: unknown key; known fields: name, binaries, files, dirs, user, group, createUser, writable, devices, configs, generated, run, include, links, account, allow, syslog, sshd, nss, runtime (fix: remove it or fix its spelling)`,
  ],
  [
    'a relative path',
    "name: 'x', files: ['etc/hosts']",
    (f) => `Can't use recipe at ${f}: field files.0: must be an absolute path (start with "/") (fix: paths are absolute, without "." or ".." components; see docs/recipes.md)`,
  ],
  [
    'a path with ".."',
    "name: 'x', dirs: ['/var/../etc']",
    (f) => `Can't use recipe at ${f}: field dirs.0: must not contain "." or ".." components (fix: paths are absolute, without "." or ".." components; see docs/recipes.md)`,
  ],
  [
    'a destination that climbs out of the jail',
    "name: 'x', files: [{ from: './data.txt', to: '/../../etc/cron.d/x' }]",
    (f) => `Can't use recipe at ${f}: field files.0.to: must not contain "." or ".." components (fix: paths are absolute, without "." or ".." components; see docs/recipes.md)`,
  ],
  [
    'a path with a newline in it',
    "name: 'x', dirs: ['/var/a\\nb']",
    (f) => `Can't use recipe at ${f}: field dirs.0: must not contain control characters (a newline, a tab, a NUL byte) (fix: paths are absolute, without "." or ".." components; see docs/recipes.md)`,
  ],
  [
    'a missing host file',
    "name: 'x', files: ['/etc/no-such-file-here']",
    (f) => `Can't use recipe at ${f}: field files.0: host file /etc/no-such-file-here does not exist (fix: create it, or fix the path (a relative from is relative to the recipe file))`,
  ],
  [
    'a user that does not exist on the host',
    "name: 'x', user: 'no-such-user-x'",
    (f) => `Can't use recipe at ${f}: field user: user no-such-user-x does not exist on the host (fix: create it on the host (adduser --system no-such-user-x), name an existing user, or add createUser: true to have mkjail create it)`,
  ],
  [
    'a writable owner that does not exist on the host',
    "name: 'x', writable: [{ path: '/var/x', owner: 'no-such-user-x', group: 'nogroup', mode: '0700', why: 'state' }]",
    (f) => `Can't use recipe at ${f}: field writable.0.owner: user no-such-user-x does not exist on the host (fix: create it on the host or name an existing user)`,
  ],
  [
    'a writable mode with a group write bit',
    "name: 'x', writable: [{ path: '/var/x', owner: 'nobody', group: 'nogroup', mode: '0770', why: 'state' }]",
    (f) => `Can't use recipe at ${f}: field writable.0.mode: must not let group or others write (no 0o020 or 0o002 bit): only the owner writes (fix: each writable entry is { path, owner, group, mode: '0750', why } with an owner-only write bit)`,
  ],
  [
    'a writable mode given as a decimal number',
    "name: 'x', writable: [{ path: '/var/x', owner: 'nobody', group: 'nogroup', mode: 750, why: 'state' }]",
    (f) => `Can't use recipe at ${f}: field writable.0.mode: a number must be written in octal (0o750); or give a string such as "0750" (fix: each writable entry is { path, owner, group, mode: '0750', why } with an owner-only write bit)`,
  ],
  [
    'a service user that is root',
    "name: 'x', user: 'root'",
    (f) => `Can't use recipe at ${f}: field user: user root is root (uid 0) (fix: run the service as an unprivileged user: root can break out of a chroot)`,
  ],
  [
    'a service group that is gid 0',
    "name: 'x', user: 'nobody', group: 'root'",
    (f) => `Can't use recipe at ${f}: field group: group root is gid 0 (fix: run the service with an unprivileged group of its own (group: ...))`,
  ],
  [
    'a writable path without why',
    "name: 'x', writable: [{ path: '/var/x', owner: 'nobody', group: 'nogroup', mode: 0o700 }]",
    (f) => `Can't use recipe at ${f}: field writable.0.why: required (expected string) (fix: each writable entry is { path, owner, group, mode: '0750', why } with an owner-only write bit)`,
  ],
  [
    'a device other than null without why',
    "name: 'x', devices: ['null', 'zero']",
    (f) => `Can't use recipe at ${f}: field devices.1: only 'null' may be named alone; any other device is { name, why } (fix: devices defaults to ['null']; any other device is { name, why })`,
  ],
  [
    'an unknown config format',
    "name: 'x', configs: [{ format: 'nginx', path: '/etc/hostname' }]",
    (f) => `Can't use recipe at ${f}: field configs.0.format: no follower for config format 'nginx' (fix: use a known format: 'named.conf', 'nginx.conf' or 'unbound.conf')`,
  ],
  [
    'a run program that is not in the jail',
    "name: 'x', run: { argv: ['/usr/bin/id'] }",
    (f) => `Can't use recipe at ${f}: field run.argv.0: /usr/bin/id is not a program in the jail (fix: add it to binaries (argv[0] is a path inside the jail))`,
  ],
  [
    'a capability beyond the allowlist of what a jailed program may keep',
    "name: 'x', user: 'nobody', binaries: ['/usr/bin/id'], run: { argv: ['/usr/bin/id'], capabilities: ['net_bind_service', 'sys_admin'] }",
    (f) => `Can't use recipe at ${f}: field run.capabilities.1: not a capability a jailed program may keep (only net_bind_service; with chroot: 'self', a bounding set from net_bind_service, sys_chroot, setuid, setgid, dac_read_search, sys_resource, chown) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a capability of the self-chrooting allowlist kept after the launcher\'s drop',
    "name: 'x', user: 'nobody', binaries: ['/usr/bin/id'], run: { argv: ['/usr/bin/id'], capabilities: ['sys_chroot'] }",
    (f) => `Can't use recipe at ${f}: field run.capabilities.0: sys_chroot is not allowed with chroot: 'launcher': a program the launcher drops to its user keeps only net_bind_service (fix: remove it (see the run.capabilities allowlists in docs/recipes.md))`,
  ],
  [
    'a run.env variable glibc drops for privileged programs (it would reach setpriv and chroot as root)',
    "name: 'x', run: { argv: ['/usr/bin/id'], env: { LD_PRELOAD: '/tmp/evil.so' } }",
    (f) => `Can't use recipe at ${f}: field run.env.LD_PRELOAD: not allowed: glibc ignores it in privileged programs, and the launcher's setpriv and chroot run as root on the host with this environment (refused: LD_*, MALLOC_*, GLIBC_TUNABLES and glibc's list of unsafe variables) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    "a run.env variable from glibc's list of unsafe variables",
    "name: 'x', run: { argv: ['/usr/bin/id'], env: { LANG: 'C', GCONV_PATH: '/tmp' } }",
    (f) => `Can't use recipe at ${f}: field run.env.GCONV_PATH: not allowed: glibc ignores it in privileged programs, and the launcher's setpriv and chroot run as root on the host with this environment (refused: LD_*, MALLOC_*, GLIBC_TUNABLES and glibc's list of unsafe variables) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a run.env name that is not a variable name',
    "name: 'x', run: { argv: ['/usr/bin/id'], env: { 'A-B': 'x' } }",
    (f) => `Can't use recipe at ${f}: field run.env: "A-B" is not an environment variable name (letters, digits and "_", not starting with a digit) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a run.env name with a newline, shown escaped',
    "name: 'x', run: { argv: ['/usr/bin/id'], env: { 'A\\nB': 'x' } }",
    (f) => `Can't use recipe at ${f}: field run.env: "A\\nB" is not an environment variable name (letters, digits and "_", not starting with a digit) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a newline in a run.argv word (it would inject a command into the launcher)',
    "name: 'x', run: { argv: ['/usr/bin/id', '-u\\ntouch /tmp/PWNED #'] }",
    (f) => `Can't use recipe at ${f}: field run.argv.1: must not contain a control character (a newline would start a new line of DIR/launch or of the systemd unit) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a control character in a run.env value',
    "name: 'x', run: { argv: ['/usr/bin/id'], env: { TZ: 'UTC\\rExecStartPre=/bin/sh' } }",
    (f) => `Can't use recipe at ${f}: field run.env.TZ: must not contain a control character (a newline would start a new line of DIR/launch or of the systemd unit) (fix: run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] })`,
  ],
  [
    'a recipe that does not compile',
    "export default defineRecipe({ name: 'x', files: [ });\n",
    (f) => expect.stringMatching(new RegExp(`^Can't load recipe at ${f.replace(/[.]/g, '\\.')}: .+ \\(fix: fix the recipe file so it runs: it must default-export defineRecipe\\(\\{\\.\\.\\.\\}\\)\\)$`)) as unknown as string,
  ],
];

describe('a bad recipe', () => {
  it.each(cases)('is refused with one clean line for %s, exit code 2, and nothing written', async (_title, body, error) => {
    const { file, result, wrote } = await build(body);
    expect({ ...result, stderr: result.stderr.replace(/^mkjail build: /, '') }).toEqual({ exitCode: 2, stdout: '', stderr: error(file) });
    expect(wrote).toBe(false);
  });

  it("is refused when the BIND recipe's low_ports is neither yes nor no", async () => {
    const recipe = join(REPO_ROOT, 'recipes/bind.ts');
    const result = await mkjail(['build', recipe, '--out', join(scratch, 'out-bind'), '--json', '--set', 'mode=wrapper', '--set', 'low_ports=maybe']);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail build: Can't use recipe at ${recipe}: its recipe function threw: variable low_ports is "maybe": use --set low_ports=yes or --set low_ports=no (fix: check the --set values against what the message asks; if they are right, fix the recipe function (it receives every variable as a string))`,
    });
    expect(existsSync(join(scratch, 'out-bind'))).toBe(false);
  });

  it('is refused when --set names a variable the recipe does not declare', async () => {
    const body = "import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ vars: { config: '/etc/hostname' }, recipe: (vars) => ({ name: 'x', files: [vars.config] }) });\n";
    const { file, result, wrote } = await build(body, ['--set', 'confg=/etc/hosts']);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail build: Can't set variable confg of recipe at ${file}: the recipe declares no such variable (it declares: config) (fix: remove --set confg=..., or declare it in the recipe's vars)`,
    });
    expect(wrote).toBe(false);
  });
});
