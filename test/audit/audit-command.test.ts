import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../src/audit/finding.js';
import { devDirMode } from '../../src/audit/rules/dev-dir-mode.js';
import { setuidSetgid } from '../../src/audit/rules/setuid-setgid.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { findingOf } from './helpers/audit-fixture.js';
import { makeScratch, plantCleanJail, removeScratch } from './helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe('mkjail audit usage', () => {
  it('rejects an unknown rule in --allow with exit 2 and one line', async () => {
    expect(await mkjail(['audit', '.', '--allow', 'no-such-rule:/x'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail audit: Can't use --allow no-such-rule:/x: unknown rule "no-such-rule" (fix: write --allow RULE:PATH with a rule id from 'mkjail audit --help')`,
    });
  });

  it('rejects a relative --allow path, a bad --fail-on and a missing argument with exit 2', async () => {
    expect(await mkjail(['audit', '.', '--allow', 'dev-dir-mode:dev'])).toMatchObject({
      exitCode: 2,
      stderr: "mkjail audit: Can't use --allow dev-dir-mode:dev: the path must be absolute (inside the jail) (fix: write the exact path a finding shows, e.g. --allow dev-dir-mode:/dev)",
    });
    expect(await mkjail(['audit', '.', '--fail-on', 'severe'])).toMatchObject({
      exitCode: 2,
      stderr: 'mkjail audit: bad arguments: --fail-on severe is not a severity (fix: use one of critical, high, medium, low)',
    });
    expect(await mkjail(['audit'])).toMatchObject({
      exitCode: 2,
      stderr: "mkjail audit: bad arguments: expected one DIR_OR_ROOT, got 0 (fix: run 'mkjail audit --help')",
    });
  });

  it('refuses a path that does not exist with exit 2', async () => {
    expect(await mkjail(['audit', '/nonexistent-jail'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "mkjail audit: Can't audit jail at /nonexistent-jail: no such file or directory (fix: give a jail root directory, or a directory built by `mkjail build`)",
    });
  });

  it('lists every rule with its severity in --help', async () => {
    const result = await mkjail(['audit', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('  setuid-setgid            critical a setuid or setgid file\n');
    expect(result.stdout).toContain('  dev-dir-mode             low      /dev that is not a directory of mode 0111 (d--x--x--x)\n');
  });
});

describe.skipIf(!ok)('mkjail audit on a jail', () => {
  let scratch = '';
  let root = '';
  beforeAll(() => {
    scratch = makeScratch();
    root = join(scratch, 'root');
    plantCleanJail(root);
  });
  afterAll(() => removeScratch(scratch));

  it('exits 0 and prints one summary line for a clean jail', async () => {
    expect(await mkjail(['audit', root])).toEqual({
      exitCode: 0,
      stdout: `mkjail audit of ${root} (no manifest)\nclean: 11 entries, no findings`,
      stderr: '',
    });
  });

  it('exits 1 and prints each finding with its risk and fix', async () => {
    chmodSync(join(root, 'dev'), 0o755);
    try {
      expect(await mkjail(['audit', root])).toEqual({
        exitCode: 1,
        stdout: [
          `mkjail audit of ${root} (no manifest)`,
          'LOW      dev-dir-mode /dev: mode 0755',
          `         risk: ${devDirMode.why}`,
          `         fix: ${devDirMode.fix}`,
          '1 finding(s) in 11 entries (1 low); failed: at or above --fail-on low',
        ].join('\n'),
        stderr: '',
      });
      expect((await mkjail(['audit', root, '--fail-on', 'medium'])).exitCode).toBe(0);
      expect(await mkjail(['audit', root, '--allow', 'dev-dir-mode:/dev'])).toEqual({
        exitCode: 0,
        stdout: `mkjail audit of ${root} (no manifest)\nallowed  dev-dir-mode:/dev (--allow)\nclean: 11 entries, no findings`,
        stderr: '',
      });
    } finally {
      chmodSync(join(root, 'dev'), 0o111);
    }
  });

  it('prints a path holding a newline on one line, escaped', async () => {
    writeFileSync(join(root, 'etc/two\nlines'), 'x\n');
    chmodSync(join(root, 'etc/two\nlines'), 0o446);
    try {
      const result = await mkjail(['audit', root]);
      expect(result.stdout.split('\n')[1]).toBe('CRITICAL world-writable /etc/two\\nlines: file mode 0446, owner 0:0');
    } finally {
      rmSync(join(root, 'etc/two\nlines'));
    }
  });

  it('prints a --json report that the report schema accepts, listing an --allow that matched nothing', async () => {
    chmodSync(join(root, 'bin/service'), 0o4555);
    writeFileSync(join(root, 'etc/passwd.extra'), 'x\n', { mode: 0o444 });
    try {
      const result = await mkjail(['audit', '--json', root, '--allow', 'dev-dir-mode:/dev']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout.endsWith('}')).toBe(true);
      expect(auditReportSchema.parse(JSON.parse(result.stdout))).toEqual({
        format: 'mkjail-audit/1',
        root,
        manifest: null,
        failOn: 'low',
        entries: 12,
        allowed: [],
        declared: [],
        unmatchedAllow: ['dev-dir-mode:/dev'],
        findings: [findingOf(setuidSetgid, '/bin/service', 'setuid file, mode 4555, owner 0:0')],
        failed: true,
      });
    } finally {
      chmodSync(join(root, 'bin/service'), 0o555);
    }
  });
});

describe.skipIf(!ok)('mkjail audit with a manifest it cannot use', () => {
  it('refuses an invalid manifest.json of a build directory with exit 2, naming the field', async () => {
    const scratch = makeScratch();
    try {
      plantCleanJail(join(scratch, 'root'));
      writeFileSync(join(scratch, 'manifest.json'), '{"format":"mkjail-manifest/1"}\n');
      expect(await mkjail(['audit', scratch])).toEqual({
        exitCode: 2,
        stdout: '',
        stderr: `mkjail audit: Can't use manifest at ${join(scratch, 'manifest.json')}: field tool: Invalid input: expected object, received undefined (fix: rebuild the jail with \`mkjail build\`; never edit manifest.json by hand)`,
      });
    } finally {
      removeScratch(scratch);
    }
  });

  it('refuses a --manifest that does not exist with exit 2', async () => {
    const scratch = makeScratch();
    try {
      plantCleanJail(join(scratch, 'root'));
      const result = await mkjail(['audit', join(scratch, 'root'), '--manifest', join(scratch, 'nope.json')]);
      expect(result).toEqual({
        exitCode: 2,
        stdout: '',
        stderr: `mkjail audit: Can't read manifest at ${join(scratch, 'nope.json')}: no such file or directory (fix: point at a directory built by \`mkjail build\` (it holds manifest.json))`,
      });
    } finally {
      removeScratch(scratch);
    }
  });
});
