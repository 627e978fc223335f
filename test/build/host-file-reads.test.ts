// Host files are read without following a symlink someone could have swapped in: a symlink in a host
// directory a non-root user can write is refused, and a file that is no longer the one the plan saw
// (another inode, or a symlink now) stops the build.
import { chownSync, chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, MkjailError } from '../../src/errors.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadRecipe } from '../../src/recipe/load-recipe.js';
import { copyHostFile, fileBytes } from '../../src/stage/write-tree.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent'] });
const NOGROUP = 65534;

/** `${exitCode} ${line}` of the MkjailError `run` throws, or 'ok'. */
async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof MkjailError) return `${error.exitCode} ${error.toLine()}`;
    throw error;
  }
}

describe.skipIf(!ok)('reading host files for a jail', () => {
  // Made only when the block runs: a skipped block's body is still evaluated when tests are collected.
  const scratch = ok ? makeScratch('host-reads-') : '';
  afterAll(() => removeScratch(scratch));

  /** A recipe in its own directory copying `files` (recipe `files` entries as source text). */
  async function plan(name: string, files: string) {
    const dir = join(scratch, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'recipe.ts');
    writeFileSync(file, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'reads', files: [${files}] });\n`);
    return buildPlan(await loadRecipe(file));
  }

  /** A host directory like Debian's /var/cache/bind (root:nogroup 0775) holding a regular file and a symlink. */
  function groupWritableDir(name: string): string {
    const dir = join(scratch, name);
    mkdirSync(dir, { mode: 0o775 });
    chmodSync(dir, 0o775);
    chownSync(dir, 0, NOGROUP);
    writeFileSync(join(dir, 'zone.db'), 'zone data\n');
    symlinkSync('/etc/hostname', join(dir, 'link.db'));
    return dir;
  }

  it('refuses a symlink in a host directory that a non-root user can write, kept or followed', async () => {
    const dir = groupWritableDir('cache');
    const link = join(dir, 'link.db');
    const message = `2 Can't copy symlink at ${link}: its directory ${dir} is writable by group or others without the sticky bit (mode 0775), so a user other than root can point it at any host file (fix: name the real file, or let only root write ${dir})`;
    expect([
      await outcome(() => plan('kept', `'${link}'`)),
      await outcome(() => plan('followed', `{ from: '${link}', to: '/etc/zone.db' }`)),
    ]).toEqual([message, message]);
  });

  it('refuses a symlink in a host directory a non-root user owns', async () => {
    const dir = join(scratch, 'owned');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOGROUP, NOGROUP);
    symlinkSync('/etc/hostname', join(dir, 'link.db'));
    expect(await outcome(() => plan('owned-plan', `'${join(dir, 'link.db')}'`))).toBe(
      `2 Can't copy symlink at ${join(dir, 'link.db')}: its directory ${dir} is owned by uid ${NOGROUP}, so a user other than root can point it at any host file (fix: name the real file, or let only root write ${dir})`,
    );
  });

  it('copies a regular file from such a directory', async () => {
    const dir = groupWritableDir('regular');
    const result = await plan('regular-plan', `'${join(dir, 'zone.db')}'`);
    const entry = result.manifest.entries.find((e) => e.path === join(dir, 'zone.db'));
    expect(entry && { type: entry.type, mode: entry.mode, size: entry.type === 'file' ? entry.size : -1 }).toEqual({ type: 'file', mode: '0444', size: 10 });
  });

  it('stops with exit 3 when a planned host file is replaced by another file with the same bytes before it is copied', async () => {
    const dir = join(scratch, 'swap-file');
    mkdirSync(dir);
    const path = join(dir, 'data.txt');
    writeFileSync(path, 'same bytes\n');
    const result = await plan('swap-file-plan', `{ from: '${path}', to: '/etc/data' }`);
    writeFileSync(join(dir, 'new'), 'same bytes\n');
    renameSync(join(dir, 'new'), path);
    const entry = result.manifest.entries.find((e) => e.path === '/etc/data');
    expect(await outcome(() => entry?.type === 'file' && fileBytes(entry.path, entry.sha256, result.contents.get(entry.path)))).toBe(
      `${EXIT.environment} Can't copy host file at ${path}: it changed while the jail was being built (fix: build again once the host is quiet (a package upgrade may be running))`,
    );
  });

  it('never follows a symlink swapped in for a planned host file, even one to a file with the same bytes', async () => {
    const dir = join(scratch, 'swap-link');
    mkdirSync(dir);
    const path = join(dir, 'data.txt');
    writeFileSync(path, 'same bytes\n');
    writeFileSync(join(scratch, 'elsewhere.txt'), 'same bytes\n');
    const result = await plan('swap-link-plan', `{ from: '${path}', to: '/etc/data' }`);
    rmSync(path);
    symlinkSync(join(scratch, 'elsewhere.txt'), path);
    const entry = result.manifest.entries.find((e) => e.path === '/etc/data');
    expect(await outcome(() => entry?.type === 'file' && fileBytes(entry.path, entry.sha256, result.contents.get(entry.path)))).toBe(
      `${EXIT.environment} Can't copy host file at ${path}: it changed while the jail was being built (fix: build again once the host is quiet (a package upgrade may be running))`,
    );
  });

  // The tree is written by copyHostFile, a chunk at a time: it skips the hash only for a file whose
  // stable stamp is still the one whose bytes the plan hashed.
  it('copies a planned host file into the tree, hashing it again when its stamp changed: a touch passes, new bytes in place stop the build', async () => {
    const dir = join(scratch, 'copy-tree');
    mkdirSync(dir);
    const paths = ['kept', 'touched', 'rewritten'].map((name) => join(dir, `${name}.txt`));
    for (const path of paths) writeFileSync(path, 'planned bytes\n');
    await new Promise((done) => setTimeout(done, 1100)); // older than a second: the plan gives each a stamp
    const result = await plan('copy-tree-plan', paths.map((path, i) => `{ from: '${path}', to: '/etc/f${i}' }`).join(', '));
    const [, touched, rewritten] = paths as [string, string, string];
    utimesSync(touched, new Date(), new Date());
    writeFileSync(rewritten, 'other! bytes\n');
    const copies = join(scratch, 'copies');
    mkdirSync(copies);
    const copy = async (i: number) => {
      const entry = result.manifest.entries.find((e) => e.path === `/etc/f${i}`);
      const content = result.contents.get(`/etc/f${i}`);
      if (entry?.type !== 'file' || content?.kind !== 'host') throw new Error(`no host file planned for /etc/f${i}`);
      expect(content.stamp).toBeDefined();
      return outcome(() => copyHostFile(join(copies, `f${i}`), entry.sha256, content));
    };
    expect([await copy(0), await copy(1), await copy(2)]).toEqual([
      'ok',
      'ok',
      `${EXIT.environment} Can't copy host file at ${rewritten}: it changed while the jail was being built (fix: build again once the host is quiet (a package upgrade may be running))`,
    ]);
    expect([readFileSync(join(copies, 'f0'), 'utf8'), readFileSync(join(copies, 'f1'), 'utf8')]).toEqual(['planned bytes\n', 'planned bytes\n']);
  });
});
