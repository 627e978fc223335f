// Symlinks in a built jail: a directory of applet links copied as links (one busybox, not one per applet),
// and the recipe's own links, root-owned; both work when the jail is entered, and verify clean.
import { lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['chroot', 'busybox'], packages: 'busybox-static' });
const APPLETS = ['cat', 'echo', 'ls', 'sh', 'true'];

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'links-test',
  devices: [],
  files: [{ from: './applets', to: '/usr/local/bin' }],
  links: { '/bin/sh': '/usr/bin/busybox', '/usr/bin/echo': 'busybox' },
});
`;

describe.skipIf(!ok)('symlinks in a built jail', () => {
  let applets: string;
  let jail: BuiltJail;
  beforeAll(async () => {
    applets = makeScratch('applets-');
    for (const name of APPLETS) symlinkSync('/usr/bin/busybox', join(applets, name));
    jail = await buildJail(RECIPE.replace("'./applets'", `'${applets}'`));
  });
  afterAll(() => {
    jail?.cleanup();
    if (applets) removeScratch(applets);
  });

  it('copies a directory of applet links as links: one busybox in the jail, brought in as their target', () => {
    const files = jail.manifest.entries.filter((e) => e.type === 'file');
    expect(files.map((e) => e.path)).toEqual(['/usr/bin/busybox']);
    for (const name of APPLETS) {
      expect(readlinkSync(join(jail.root, 'usr/local/bin', name))).toBe('/usr/bin/busybox');
      expect(lstatSync(join(jail.root, 'usr/local/bin', name)).uid).toBe(0);
    }
  });

  it('makes the recipe\'s links, root-owned, and they work inside the jail', () => {
    expect(readlinkSync(join(jail.root, 'bin/sh'))).toBe('/usr/bin/busybox');
    expect(lstatSync(join(jail.root, 'bin/sh'))).toMatchObject({ uid: 0, gid: 0 });
    const out = execaSync('chroot', ['--userspec=65534:65534', jail.root, '/bin/sh', '-c', 'echo hello; /usr/local/bin/ls /usr/local/bin']);
    expect(out.stdout.split('\n')).toEqual(['hello', ...APPLETS]);
  });

  it('verifies clean', async () => {
    const result = await mkjail(['verify', jail.dir]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
