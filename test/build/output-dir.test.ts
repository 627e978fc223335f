// Dangerous --out targets are refused before anything is written; --check reports and writes nothing;
// --json prints one object and plain mode prints one progress line per step.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MKJAIL_BIN, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, tmpScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'perl'] });

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({ vars: { text: 'one' }, recipe: (vars) => ({ name: 'out-test', files: [{ from: \`./\${vars.text}.txt\`, to: '/etc/text' }] }) });
`;

describe.skipIf(!ok)('the output directory of mkjail build', () => {
  // Below root-owned 0755 directories: a jail without run is a tree to enter, and below /tmp (1777) the
  // build rightly warns that sshd would refuse it as a ChrootDirectory.
  const scratch = ok ? makeScratch('out-') : tmpScratch('mkjail-out-', ok);
  const recipe = join(scratch, 'recipe.ts');
  if (ok) {
    writeFileSync(recipe, RECIPE);
    writeFileSync(join(scratch, 'one.txt'), 'one\n');
    writeFileSync(join(scratch, 'two.txt'), 'two\n');
  }
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const refusal = (dir: string, what: string, hint: string) => ({
    exitCode: 2,
    stdout: '',
    stderr: `mkjail build: Can't build into output directory at ${dir}: ${what} (fix: ${hint})`,
  });

  it('refuses --out / with exit code 2', async () => {
    expect(await mkjail(['build', recipe, '--out', '/', '--json'])).toEqual(refusal('/', 'it is the host root', 'choose a dedicated directory such as /srv/jails/NAME'));
  });

  it('refuses a non-empty directory that mkjail did not make, and leaves it alone', async () => {
    const dir = join(scratch, 'precious');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    expect(await mkjail(['build', recipe, '--out', dir, '--json'])).toEqual(
      refusal(dir, 'it is a non-empty directory that mkjail did not make', 'choose a new or empty directory (mkjail replaces what it builds there)'),
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('refuses a directory whose manifest.json is not an mkjail manifest, and leaves its root/ alone', async () => {
    const dir = join(scratch, 'lookalike');
    mkdirSync(join(dir, 'root'), { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), '{"name": "some other tool"}\n');
    writeFileSync(join(dir, 'root', 'data.txt'), 'mine\n');
    expect(await mkjail(['build', recipe, '--out', dir, '--json'])).toEqual(
      refusal(dir, 'it is a non-empty directory that mkjail did not make', 'choose a new or empty directory (mkjail replaces what it builds there)'),
    );
    expect({ top: readdirSync(dir).sort(), root: readdirSync(join(dir, 'root')) }).toEqual({ top: ['manifest.json', 'root'], root: ['data.txt'] });
  });

  it('refuses an existing output directory owned by another user, or writable by group or others, and writes nothing', async () => {
    const owned = join(scratch, 'owned-by-nobody');
    mkdirSync(owned);
    chownSync(owned, 65534, 65534);
    const shared = join(scratch, 'group-writable');
    mkdirSync(shared);
    chmodSync(shared, 0o775);
    const open = join(scratch, 'world-writable');
    mkdirSync(open);
    chownSync(open, 65534, 65534);
    chmodSync(open, 0o1777);
    const results = await Promise.all([owned, shared, open].map((dir) => mkjail(['build', recipe, '--out', dir, '--json'])));
    expect(results).toEqual([
      refusal(owned, 'it is owned by uid 65534, not root: that user can replace DIR/launch, which root runs', `chown root:root ${owned} && chmod 0755 ${owned}, or choose a new directory`),
      refusal(shared, 'it is writable by group or others (mode 0775): they can replace DIR/launch, which root runs', `chmod 0755 ${shared}, or choose a new directory`),
      refusal(open, 'it is owned by uid 65534, not root: that user can replace DIR/launch, which root runs', `chown root:root ${open} && chmod 0755 ${open}, or choose a new directory`),
    ]);
    expect([owned, shared, open].map((dir) => readdirSync(dir))).toEqual([[], [], []]);
  });

  it('creates a missing output directory root-owned 0755, the manifest and perms.sh, and the tree with their own modes, whatever the umask', async () => {
    const dir = join(scratch, 'created', 'jail');
    const buildUnderUmask077 = () => execa('sh', ['-c', 'umask 077 && exec "$@"', 'sh', process.execPath, MKJAIL_BIN, 'build', recipe, '--out', dir, '--json'], { reject: false });
    const first = await buildUnderUmask077();
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const owners = ['', 'manifest.json', 'perms.sh'].map((name) => {
      const stats = statSync(join(dir, name));
      return `${name || 'DIR'} ${stats.uid}:${stats.gid} ${(stats.mode & 0o7777).toString(8)}`;
    });
    expect(owners).toEqual(['DIR 0:0 755', 'manifest.json 0:0 644', 'perms.sh 0:0 700']);
    const second = await buildUnderUmask077();
    expect(JSON.parse(second.stdout).changed, 'a second build under the same umask rewrote something').toBe(false);
    const verify = await mkjail(['verify', dir]);
    expect(verify.exitCode, `the tree built under umask 077 differs from its manifest: ${verify.stdout}${verify.stderr}`).toBe(0);
  });

  it('refuses an output path with a symlink in it', async () => {
    mkdirSync(join(scratch, 'real'));
    symlinkSync('real', join(scratch, 'link'));
    const dir = join(scratch, 'link', 'jail');
    expect(await mkjail(['build', recipe, '--out', dir, '--json'])).toEqual(
      refusal(dir, `${join(scratch, 'link')} is a symlink`, 'give the real path (a symlink in the path could be swapped to redirect the build)'),
    );
    expect(readdirSync(join(scratch, 'real'))).toEqual([]);
  });

  it('warns when a parent directory is writable by non-root users', async () => {
    const parent = join(scratch, 'shared');
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    const result = await mkjail(['build', recipe, '--out', join(parent, 'jail'), '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).warnings).toEqual([
      // Only that: the recipe has no sshd block, so sshd's ChrootDirectory rules are not checked.
      `parent directory ${parent} of the jail is writable by group or others without the sticky bit (mode 0777): they can replace the jail`,
    ]);
  });

  it('prints one JSON object with --json, and one plain line per step otherwise', async () => {
    const dir = join(scratch, 'formats');
    const json = await mkjail(['build', recipe, '--out', dir, '--json']);
    expect({ ...json, stdout: JSON.parse(json.stdout) }).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: {
        changed: true,
        dir,
        root: join(dir, 'root'),
        manifest: join(dir, 'manifest.json'),
        tar: null,
        recipe,
        entries: 5,
        bytes: 4,
        warnings: [],
        changes: ['add / (dir)', 'add /dev (dir)', 'add /dev/null (chardev)', 'add /etc (dir)', 'add /etc/text (file)', `create ${join(dir, 'root')}`, 'write manifest.json', 'write perms.sh'],
        createdAccounts: [],
      },
    });
    const plain = await mkjail(['build', recipe, '--out', dir, '--set', 'text=two']);
    expect(plain).toEqual({
      exitCode: 0,
      stdout: `built ${join(dir, 'root')} (5 entries, 4 bytes)`,
      stderr: [
        'Load the recipe',
        'Check the output directory',
        'Plan the jail',
        'Compare with the existing output',
        `Stage the new jail beside ${join(dir, 'root')}`,
        `Swap it into ${join(dir, 'root')} and remove the old one`,
        'Write the manifest and scripts',
      ].map((step) => `mkjail build: ${step}`).join('\n'),
    });
  });

  it('with --check prints what would change, writes nothing and exits 1 (0 when up to date)', async () => {
    const dir = join(scratch, 'checked');
    const first = await mkjail(['build', recipe, '--out', dir, '--check', '--json']);
    expect(first.exitCode).toBe(1);
    expect(existsSync(dir)).toBe(false);
    await mkjail(['build', recipe, '--out', dir, '--json']);
    const pending = await mkjail(['build', recipe, '--out', dir, '--check', '--set', 'text=two']);
    expect({ exitCode: pending.exitCode, stdout: pending.stdout }).toEqual({
      exitCode: 1,
      stdout: `would change /etc/text (sha256, source)\nwould rebuild ${join(dir, 'root')}\nwould write manifest.json\nwould write perms.sh\n${join(dir, 'root')}: 4 change(s) pending`,
    });
    const current = await mkjail(['build', recipe, '--out', dir, '--check']);
    expect({ exitCode: current.exitCode, stdout: current.stdout }).toEqual({ exitCode: 0, stdout: `${join(dir, 'root')}: up to date` });
  });
});
