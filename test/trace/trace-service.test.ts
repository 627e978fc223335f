// `mkjail trace` on a real service (fixtures/trace/service.c): its plugin is dlopen()ed by name through
// RUNPATH, its config read, a user looked up, its state directory created. None of that is in its ELF,
// so the jail of its bare recipe fails as a user would see it fail; trace --recipe prints what fixes it,
// and the jail built with that fragment runs it as nobody. A daemon that ignores SIGTERM is killed at
// the timeout with the rest of the tree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { buildTraceService, type TraceService } from '../helpers/trace-service.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'strace', 'chroot'], packages: 'gcc strace coreutils' });

describe.skipIf(!ok)('mkjail trace on a service that loads a plugin, reads a config, looks up a user and creates its state', () => {
  let service: TraceService;
  let bare: string;
  const jails: BuiltJail[] = [];
  beforeAll(() => {
    service = buildTraceService();
    bare = join(service.dir, 'bare.ts');
    writeFileSync(bare, `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'service', binaries: ['${service.program}'], user: 'nobody', run: { argv: ['${service.program}'] } });
`);
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    service?.cleanup();
  });
  beforeEach(() => rmSync(service.state, { recursive: true, force: true }));

  const runAsNobody = (root: string) => spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', root, service.program], { encoding: 'utf8' });

  it('the jail of the bare recipe fails the way the user would see it', async () => {
    const jail = await buildJail(bare);
    jails.push(jail);
    const run = runAsNobody(jail.root);
    expect(run.status).toBe(10);
    expect(run.stderr).toContain('service: libplugin.so: cannot open shared object file: No such file or directory\n');
    expect(run.stderr).toContain(`service: can't read ${service.config}: No such file or directory\n`);
    expect(run.stderr).toContain(`service: can't create ${service.state}: Permission denied\n`);

    // trace --in-jail starts it through the jail's launcher, traced from outside, and names each missing path.
    const traced = await mkjail(['trace', '--in-jail', jail.dir, '--json', '--timeout', '60']);
    expect(traced.exitCode, traced.stderr).toBe(1);
    const report = JSON.parse(traced.stdout) as { exitCode: number; failures: { path: string; errno: string; by: string; syscall: string; host: string }[] };
    expect(report.exitCode).toBe(10);
    expect(report.failures).toEqual(
      expect.arrayContaining([
        { path: service.plugin, errno: 'ENOENT', by: 'service', syscall: 'openat', host: expect.stringMatching(/^a file \(\d+ bytes\)$/) },
        { path: service.config, errno: 'ENOENT', by: 'service', syscall: 'openat', host: 'a file (15 bytes)' },
        { path: service.state, errno: 'EACCES', by: 'service', syscall: 'mkdir', host: expect.any(String) },
      ]),
    );
    // The loader's search of the system directories for the plugin is one failure, not one per directory.
    expect(report.failures.filter((failure) => failure.path.endsWith('/libplugin.so'))).toHaveLength(1);
    const text = await mkjail(['trace', '--in-jail', jail.dir, '--timeout', '60']);
    expect(text.stdout).toContain(`  ${service.config}  ENOENT (service, openat); on the host: a file (15 bytes)\n`);
  });

  it('trace --recipe prints what the bare jail lacks, and the jail built with it runs as nobody', async () => {
    const traced = await mkjail(['trace', '--recipe', bare, '--timeout', '60']);
    expect(traced.exitCode, traced.stderr).toBe(1);
    // The service's own output passed through (to stderr, stdout holds the fragment).
    expect(traced.stderr).toContain('plugin loaded; config says greeting=hello; nobody is uid 65534\n');
    expect(traced.stdout).toContain(`'${service.plugin}', // traced: service mapped it (openat)`);
    expect(traced.stdout).toContain(`'${service.config}', // traced: service read it (openat)`);
    expect(traced.stdout).toContain(`{ path: '${service.state}', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'traced: service created ${service.state}' },`);
    expect(traced.stdout).toContain("  nss: ['passwd'], // traced: service read /etc/nsswitch.conf and /etc/passwd\n");
    expect(traced.stdout).not.toContain("'/etc/nsswitch.conf',");
    // Nothing the recipe already brings: the program itself, libc, the loader's cache.
    expect(traced.stdout).not.toContain(`'${service.program}'`);
    expect(traced.stdout).not.toMatch(/libc\.so\.6|ld\.so\.cache/);
    expect(readFileSync(bare, 'utf8')).not.toContain('traced');

    writeFileSync(join(service.dir, 'service-traced.ts'), traced.stdout);
    const full = join(service.dir, 'full.ts');
    writeFileSync(full, readFileSync(bare, 'utf8').replace("name: 'service',", "name: 'service', include: ['./service-traced.ts'],"));
    const jail = await buildJail(full);
    jails.push(jail);
    expect(runAsNobody(jail.root)).toMatchObject({ status: 0, stdout: 'plugin loaded; config says greeting=hello; nobody is uid 65534\n', stderr: '' });
    expect(readFileSync(join(jail.root, service.state, 'last-run'), 'utf8')).toBe('greeting=hello\n');

    // With the fragment in, the same trace finds nothing more to add.
    const again = await mkjail(['trace', '--recipe', full, '--timeout', '60']);
    expect(again.stdout, again.stdout).toContain('lacks nothing the traced run used');
    expect(again.exitCode).toBe(0);
  });

  it('--json lists every path with its kind, program and system call', async () => {
    const traced = await mkjail(['trace', '--json', '--timeout', '60', '--', service.program, 'nobody']);
    expect(traced.exitCode, traced.stderr).toBe(0);
    const report = JSON.parse(traced.stdout) as { command: string[]; exitCode: number; timedOut: boolean; files: { path: string; kind: string; by: string; syscall: string; user?: string }[] };
    expect(report).toMatchObject({ command: [service.program, 'nobody'], exitCode: 0, timedOut: false });
    const find = (path: string, kind: string) => report.files.find((file) => file.path === path && file.kind === kind);
    expect(find(service.program, 'exec')).toMatchObject({ by: 'service', syscall: 'execve' });
    expect(find(service.plugin, 'library')).toMatchObject({ by: 'service', syscall: 'openat' });
    expect(find(service.config, 'read')).toMatchObject({ by: 'service', syscall: 'openat' });
    expect(find('/etc/passwd', 'read')).toMatchObject({ by: 'service' });
    expect(find(service.state, 'created')).toMatchObject({ by: 'service', syscall: 'mkdir', user: 'root' });
    expect(find(join(service.state, 'last-run'), 'created')).toMatchObject({ by: 'service', syscall: 'openat', user: 'root' });
    // The loader looked in the RUNPATH before glibc's own directories: the plugin's name elsewhere is "not found".
    expect(report.files.some((file) => file.kind === 'missing' && file.path.endsWith('/libplugin.so') && file.path !== service.plugin)).toBe(false);
  });

  it('at the timeout, stops the whole tree: a daemon that ignores SIGTERM and left its session is killed too', async () => {
    const traced = await mkjail(['trace', '--timeout', '2', '--', service.program, '--linger']);
    expect(traced.exitCode, traced.stderr).toBe(0);
    expect(traced.stderr).toContain('stopped after the timeout of 2 s');
    expect(traced.stdout).toContain('programs executed');
    expect(runningCopies(service.program)).toEqual([]);
  });
});

describe.skipIf(!ok)('a service that looks up a user other than its own', () => {
  let service: TraceService;
  const jails: BuiltJail[] = [];
  // The host's daemon (uid 1 on Debian, from base-passwd): the user the service asks for, not the one it runs as.
  const daemon = spawnSync('getent', ['passwd', 'daemon'], { encoding: 'utf8' }).stdout;
  beforeAll(() => {
    service = buildTraceService();
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    service?.cleanup();
  });
  beforeEach(() => rmSync(service.state, { recursive: true, force: true }));

  /** A recipe with all the service needs but the looked-up user: `nss` is the field under test. */
  const recipe = (name: string, nss: string) => {
    const path = join(service.dir, `${name}.ts`);
    writeFileSync(path, `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: '${name}',
  binaries: ['${service.program}', '${service.plugin}'],
  files: ['${service.config}'],
  writable: [{ path: '${service.state}', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'the service creates its state here' }],
  user: 'nobody',
  nss: ${nss},
  run: { argv: ['${service.program}', 'daemon'] },
});
`);
    return path;
  };
  const runAsNobody = (root: string) => spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', root, service.program, 'daemon'], { encoding: 'utf8' });

  it('the host has the user daemon (uid 1, gid 1), which the test looks up', () => {
    expect(daemon).toMatch(/^daemon:x:1:1:/);
  });

  it("fails with the jail's own accounts alone, and trace --recipe says which field names other users", async () => {
    const bare = recipe('lookup-bare', "['passwd']");
    const jail = await buildJail(bare);
    jails.push(jail);
    const run = runAsNobody(jail.root);
    expect([run.status, run.stderr]).toEqual([12, 'service: no user daemon\n']);

    const traced = await mkjail(['trace', '--recipe', bare, '--timeout', '60']);
    expect(traced.exitCode, traced.stderr).toBe(0);
    expect(traced.stderr).toContain('daemon is uid 1\n');
    expect(traced.stdout).toContain('lacks nothing the traced run used\n');
    expect(traced.stdout).toContain(
      "// service read /etc/passwd (in the jail: root and nobody); strace cannot see which names it looked up: a user other than the service's own goes in nss: [{ database: 'passwd', names: ['NAME'] }]",
    );
  });

  it('with nss names, the jail holds the host entry without its password, and the service finds it as nobody', async () => {
    const jail = await buildJail(recipe('lookup-named', "[{ database: 'passwd', names: ['daemon'] }]"));
    jails.push(jail);
    expect(runAsNobody(jail.root)).toMatchObject({ status: 0, stdout: 'plugin loaded; config says greeting=hello; daemon is uid 1\n', stderr: '' });
    expect(readFileSync(join(jail.root, 'etc/passwd'), 'utf8')).toBe(`root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n${daemon}`);
  });
});

/** Processes whose executable is `program`. */
function runningCopies(program: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return existsSync(`/proc/${pid}/exe`) && readlinkSync(`/proc/${pid}/exe`) === program;
      } catch {
        return false;
      }
    })
    .map(Number);
}
