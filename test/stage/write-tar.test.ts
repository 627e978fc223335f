// The hand-written tar writer, read back by GNU tar: long paths (ustar prefix, then pax), long symlink
// targets (pax linkpath), file contents and modes survive exactly. Needs no root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../src/stage/run-build.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ commands: ['tar', 'getent'], packages: 'tar libc-bin' });

describe.skipIf(!ok)('the tar writer', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mkjail-tar-writer-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const medium = `/srv/${'m'.repeat(60)}/${'n'.repeat(60)}/file.txt`; // > 100 bytes: ustar prefix
  const long = `/srv/${'x'.repeat(200)}/file.txt`; // a 200-byte component: pax path
  const linkTarget = 't'.repeat(120); // a relative symlink target > 100 bytes: pax linkpath

  it('writes long paths and long symlink targets that GNU tar reads back exactly', async () => {
    writeFileSync(join(scratch, 'data.txt'), 'payload\n');
    writeFileSync(join(scratch, linkTarget), 'target\n');
    symlinkSync(linkTarget, join(scratch, 'long-link'));
    writeFileSync(
      join(scratch, 'recipe.ts'),
      `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'long', devices: [], files: [
  { from: './data.txt', to: '${medium}' },
  { from: './data.txt', to: '${long}' },
  '${scratch}/long-link',
] });
`,
    );
    const tar = join(scratch, 'long.tar');
    await runBuild({ recipe: join(scratch, 'recipe.ts'), out: join(scratch, 'out'), tar, env: {} });
    const names = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toContain(`.${medium}`);
    expect(names).toContain(`.${long}`);
    const target = join(scratch, 'x');
    execFileSync('mkdir', [target]);
    execFileSync('tar', ['-xf', tar, '-C', target, '--no-same-owner', `.${long}`, `.${medium}`]);
    expect(readFileSync(join(target, long), 'utf8')).toBe('payload\n');
    expect(readFileSync(join(target, medium), 'utf8')).toBe('payload\n');
    expect(readFileSync(tar).length % 10240).toBe(0);
    const link = execFileSync('tar', ['-tvf', tar, '--no-recursion', `.${scratch}/long-link`], { encoding: 'utf8' });
    expect(link.trim().split(' -> ')[1]).toBe(linkTarget);
    execFileSync('tar', ['-xf', tar, '-C', target, '--no-same-owner', `.${scratch}/long-link`, `.${scratch}/${linkTarget}`]);
    expect(readFileSync(join(target, scratch, 'long-link'), 'utf8')).toBe('target\n');
  });

  it('passes GNU tar\'s own consistency check (checksums and sizes) on every entry', () => {
    const tar = join(scratch, 'long.tar');
    const listing = execFileSync('tar', ['-tvf', tar, '--numeric-owner'], { encoding: 'utf8' });
    expect(listing.split('\n').filter((line) => line.includes('file.txt')).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      '-r--r--r-- 0/0 8',
      '-r--r--r-- 0/0 8',
    ]);
  });

  it('creates the tar readable and writable by its owner alone (0600): it holds private files such as host keys', () => {
    const tar = join(scratch, 'long.tar');
    expect((statSync(tar).mode & 0o7777).toString(8)).toBe('600');
  });
});
