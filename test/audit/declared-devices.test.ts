// Devices a recipe declares: /dev/tty, /dev/urandom and the launcher's /dev/pts and /dev/ptmx are in the
// manifest with their why, so `mkjail audit DIR` accepts them; the same names made by hand, or a declared
// name holding another device's numbers, are still findings.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../src/audit/finding.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['busybox', 'getcap', 'mknod'], packages: 'busybox-static libcap2-bin coreutils' });

function recipe(devices: string): string {
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'devices-test',
  binaries: ['/usr/bin/busybox'],
  user: 'nobody',
  group: 'nogroup',
  allow: [{ rule: 'dangerous-binary', path: '/usr/bin/busybox', why: 'the shell' }, { rule: 'shared-service-user', path: '/etc/passwd', why: 'two test jails of nobody' }],
  devices: ['null'${devices}],
  run: { argv: ['/usr/bin/busybox', 'sh'], interactive: true, pts: { why: "the shell's terminal" } },
});
`;
}

async function auditFindings(dir: string): Promise<string[]> {
  const result = await mkjail(['audit', '--json', dir]);
  return auditReportSchema.parse(JSON.parse(result.stdout)).findings.map((f) => `${f.rule} ${f.path}`);
}

describe.skipIf(!ok)('devices a recipe declares', () => {
  let declared: BuiltJail;
  let bare: BuiltJail;
  beforeAll(async () => {
    declared = await buildJail(recipe(", { name: 'tty', why: 'the shell opens its terminal' }, { name: 'urandom', why: 'random numbers' }"));
    bare = await buildJail(recipe(''));
  });
  afterAll(() => {
    declared?.cleanup();
    bare?.cleanup();
  });

  it('audits clean with /dev/tty, /dev/urandom, /dev/pts and /dev/ptmx declared', async () => {
    const dev = declared.manifest.entries.filter((e) => e.path.startsWith('/dev/')).map((e) => `${e.path} ${e.type}`);
    expect(dev.sort()).toEqual(['/dev/null chardev', '/dev/ptmx symlink', '/dev/pts dir', '/dev/tty chardev', '/dev/urandom chardev']);
    expect(await auditFindings(declared.dir)).toEqual([]);
  });

  it('reports the same devices made by hand in a jail that does not declare them', async () => {
    execFileSync('mknod', ['-m', '666', join(bare.root, 'dev/tty'), 'c', '5', '0']);
    expect(await auditFindings(bare.dir)).toEqual(expect.arrayContaining(['device-node /dev/tty', 'world-writable /dev/tty']));
  });

  it('reports a declared name that holds another device', async () => {
    rmSync(join(declared.root, 'dev/urandom'));
    execFileSync('mknod', ['-m', '666', join(declared.root, 'dev/urandom'), 'c', '1', '1']);
    expect(await auditFindings(declared.dir)).toEqual(expect.arrayContaining(['device-node /dev/urandom', 'world-writable /dev/urandom']));
  });
});
