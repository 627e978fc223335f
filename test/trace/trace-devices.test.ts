// trace --recipe on a program that reads /dev/urandom: the fragment asks for the device with its reason
// and keeps /dev/null (a devices list, an included one too, replaces the default ['null']); the jail
// built with it holds both, and the program reads its bytes there as nobody.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['strace', 'head', 'chroot'], packages: 'strace coreutils' });

describe.skipIf(!ok)('trace --recipe and devices', () => {
  let scratch: string;
  let jail: BuiltJail | undefined;
  beforeAll(() => {
    scratch = makeScratch('trace-devices-');
  });
  afterAll(() => {
    jail?.cleanup();
    removeScratch(scratch);
  });

  it('asks for /dev/urandom, keeps /dev/null, and the jail built with it works', async () => {
    const recipe = (include: string) => `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'head', ${include}binaries: ['/usr/bin/head'], user: 'nobody', run: { argv: ['/usr/bin/head', '-c4', '/dev/urandom'] } });
`;
    writeFileSync(join(scratch, 'bare.ts'), recipe(''));
    const traced = await mkjail(['trace', '--recipe', join(scratch, 'bare.ts'), '--timeout', '30']);
    expect(traced.exitCode, traced.stderr).toBe(1);
    expect(traced.stdout).toContain(
      "  devices: [\n    { name: 'null', why: 'kept: the jail has it, and a devices list replaces the default' },\n    { name: 'urandom', why: 'traced: head opened /dev/urandom (openat)' },\n  ],\n",
    );
    writeFileSync(join(scratch, 'head-traced.ts'), traced.stdout);
    writeFileSync(join(scratch, 'full.ts'), recipe("include: ['./head-traced.ts'], "));
    jail = await buildJail(join(scratch, 'full.ts'));
    expect(readdirSync(join(jail.root, 'dev')).sort()).toEqual(['null', 'urandom']);
    const run = spawnSync('/usr/sbin/chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, '/usr/bin/head', '-c4', '/dev/urandom']);
    expect(run.status).toBe(0);
    expect(run.stdout.length).toBe(4);
  });
});
