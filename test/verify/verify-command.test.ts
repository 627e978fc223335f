import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkjail } from '../helpers/cli.js';
import { mkjailForOthers } from '../helpers/mkjail-for-others.js';
import { prerequisites } from '../helpers/prereq.js';
import { type Fixture, makeFixture } from './jail-fixture.js';

const ok = prerequisites({ root: true, commands: ['mknod', 'getent', 'setpriv'] });

describe.skipIf(!ok)('mkjail verify DIR', () => {
  let jail: Fixture;
  const at = (path: string) => join(jail.root, path);
  beforeEach(() => {
    jail = makeFixture();
  });
  afterEach(() => jail.cleanup());

  it('exits 0 with one summary line for a jail that matches its manifest', async () => {
    expect(await mkjail(['verify', jail.dir])).toEqual({
      exitCode: 0,
      stdout: `ok: ${jail.dir} matches its manifest (16 entries) and every ELF file loads inside it`,
      stderr: '',
    });
  });

  it('exits 1 with one line per finding and a summary', async () => {
    chmodSync(at('/etc/passwd'), 0o644);
    unlinkSync(at('/usr/lib/libsvc.so.1'));
    writeFileSync(at('/etc/new\nline'), 'changed\n');
    writeFileSync(at('/etc/shadow'), 'root::0:\n');
    expect(await mkjail(['verify', jail.dir])).toEqual({
      exitCode: 1,
      stdout: [
        'content /etc/new\\nline: expected 4 bytes, found 8 bytes',
        'mode    /etc/passwd: expected 0444, found 0644',
        'extra   /etc/shadow: expected nothing, found file',
        'missing /usr/lib/libsvc.so.1: expected file, found nothing',
        `4 findings in ${jail.dir}: 1 missing, 1 extra, 1 content, 1 mode`,
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints only JSON with --json', async () => {
    chmodSync(at('/etc/passwd'), 0o644);
    const result = await mkjail(['verify', '--json', jail.dir]);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      findings: [{ kind: 'mode', path: '/etc/passwd', expected: '0444', found: '0644' }],
    });
    expect(result.stderr).toBe('');
    chmodSync(at('/etc/passwd'), 0o444);
    const fixed = await mkjail(['verify', jail.dir, '--json']);
    expect(fixed).toEqual({ exitCode: 0, stdout: JSON.stringify({ ok: true, findings: [] }, null, 2), stderr: '' });
  });

  it('exits 2 with one line for a manifest that is not valid, never trusting it', async () => {
    const manifest = JSON.parse(JSON.stringify(jail.manifest));
    manifest.entries[1].mode = '644';
    writeFileSync(join(jail.dir, 'manifest.json'), JSON.stringify(manifest));
    expect(await mkjail(['verify', jail.dir])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail verify: Can't use manifest at ${jail.dir}/manifest.json: field entries.1.mode: a 4-digit octal mode such as "0444" (fix: rebuild the jail with \`mkjail build\`; never edit manifest.json by hand)`,
    });
  });

  it('exits 3 with one line when run by a user who cannot read the jail', async () => {
    chmodSync(jail.dir, 0o755);
    const forNobody = mkjailForOthers();
    const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, forNobody.bin, 'verify', jail.dir], { reject: false }).finally(() => forNobody.cleanup());
    expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({ exitCode: 3, stdout: '' });
    expect(result.stderr).toMatch(/^mkjail verify: Can't read tree entry at \/\S+: permission denied \(fix: run as root, with CAP_DAC_READ_SEARCH \(a container or setpriv may have taken it\): the jail is root-owned and tight\)$/);
  });

  it('exits 2 when the manifest or the jail root is missing', async () => {
    rmSync(join(jail.dir, 'manifest.json'));
    expect(await mkjail(['verify', jail.dir])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail verify: Can't read manifest at ${jail.dir}/manifest.json: no such file or directory (fix: point at a directory built by \`mkjail build\` (it holds manifest.json))`,
    });
    const other = makeFixture();
    try {
      rmSync(other.root, { recursive: true });
      expect(await mkjail(['verify', other.dir])).toEqual({
        exitCode: 2,
        stdout: '',
        stderr: `mkjail verify: Can't verify jail root at ${other.root}: no such directory (fix: rebuild the jail with \`mkjail build\`)`,
      });
    } finally {
      other.cleanup();
    }
  });
});

describe('mkjail verify usage', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-verify-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('exits 2 for a directory that does not exist', async () => {
    expect(await mkjail(['verify', join(scratch, 'nope')])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail verify: Can't verify jail directory at ${scratch}/nope: no such directory (fix: pass the directory \`mkjail build\` wrote (it holds root/ and manifest.json))`,
    });
  });

  it('exits 2 without a DIR, with two, or with an unknown option', async () => {
    mkdirSync(join(scratch, 'a'));
    expect(await mkjail(['verify'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "mkjail verify: bad arguments: expected one DIR, got 0 (fix: run 'mkjail verify --help')",
    });
    expect((await mkjail(['verify', 'a', 'b'])).stderr).toBe("mkjail verify: bad arguments: expected one DIR, got 2 (fix: run 'mkjail verify --help')");
    const unknown = await mkjail(['verify', '--frob', scratch]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^mkjail verify: bad arguments: Unknown option '--frob'/);
  });

  it('documents its options and exit codes in --help', async () => {
    const result = await mkjail(['verify', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: mkjail verify DIR \[--json\]\n/);
    expect(result.stdout).toContain('  1   findings (one line each: "mode    /etc/passwd: expected 0444, found 0644")');
  });
});
