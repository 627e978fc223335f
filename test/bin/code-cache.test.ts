// The bundle's loader (src/cli/start.ts) keeps V8's code cache beside the bundle, and holds it to the
// bundle's own trust. Checked on a copy of the built package (bin/, dist/, package.json, the repository's
// node_modules linked in) with real builds: the first run of a command writes its cache and the next
// starts from it; a changed bundle, a cache another user could have written, damaged cached data, a
// --check run, a read-only bundle directory, a bundle another user owns and MKJAIL_CODE_CACHE=off each
// leave it unused or unwritten, and the build still works.
import { appendFileSync, chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { isCodeCache, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true });

interface Built {
  exitCode: number;
  codeCache: string | undefined;
  stderr: string;
}

describe.skipIf(!ok)('the code cache of the bundle', () => {
  const scratch = ok ? makeScratch('code-cache-') : '';
  afterAll(() => {
    if (scratch) removeScratch(scratch);
  });
  const pkg = join(scratch, 'pkg');
  const bundleDir = join(pkg, 'dist/bundle');
  const cacheOf = (command: string) => join(bundleDir, `mkjail.cjs.${command}.v8cache`);
  const recipe = join(scratch, 'true.ts');
  if (ok) {
    mkdirSync(pkg, { mode: 0o755 });
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true, preserveTimestamps: true, filter: (path) => !isCodeCache(path) });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'));
    writeFileSync(recipe, "import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'true', binaries: ['/usr/bin/true'] });\n", { mode: 0o644 });
  }

  const build = async (extra: string[] = [], env: Record<string, string> = {}): Promise<Built> => {
    const result = await execa(process.execPath, [join(pkg, 'bin/mkjail'), 'build', recipe, '--out', join(scratch, 'out'), '--json', '--timings', ...extra], { reject: false, env });
    const last = String(result.stdout).trim().split('\n').at(-1) ?? '{}';
    return { exitCode: result.exitCode ?? -1, codeCache: (JSON.parse(last) as { codeCache?: string }).codeCache, stderr: String(result.stderr) };
  };

  it('is written by the first build, owned by the bundle owner and writable by it alone, and used by the next', async () => {
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.codeCache).toBe('miss');
    const stats = statSync(cacheOf('build'));
    expect([stats.uid, stats.mode & 0o777]).toEqual([0, 0o644]);
    expect((await build()).codeCache).toBe('hit');
  });

  it('is keyed by the bundle: once the bundle changes, the old cache is not used, and a new one is made', async () => {
    appendFileSync(join(bundleDir, 'mkjail.cjs'), '\n// changed\n');
    const changed = await build();
    expect([changed.exitCode, changed.codeCache]).toEqual([0, 'miss']);
    expect((await build()).codeCache).toBe('hit');
  });

  it('is not used when another user could have written it: group-writable, or owned by someone else', async () => {
    chmodSync(cacheOf('build'), 0o664);
    expect((await build()).codeCache).toBe('miss');
    chownSync(cacheOf('build'), 65534, 65534);
    expect((await build()).codeCache).toBe('miss');
    expect(statSync(cacheOf('build')).uid).toBe(0);
  });

  it("is refused by V8 when its data is damaged, and the build goes on from the bundle's source", async () => {
    const whole = readFileSync(cacheOf('build'));
    // The key is five NUL-terminated fields (name, sha256, Node, machine, V8); V8's own data follows.
    let keyEnd = -1;
    for (let field = 0; field < 5; field++) keyEnd = whole.indexOf(0, keyEnd + 1);
    const keyLength = keyEnd + 1;
    writeFileSync(cacheOf('build'), Buffer.concat([whole.subarray(0, keyLength), Buffer.alloc(whole.length - keyLength, 0x5a)]), { mode: 0o644 });
    const damaged = await build();
    expect([damaged.exitCode, damaged.codeCache]).toEqual([0, 'rejected']);
    expect((await build()).codeCache).toBe('hit');
  });

  it('is neither read nor written with MKJAIL_CODE_CACHE=off, and not written by --check', async () => {
    expect((await build([], { MKJAIL_CODE_CACHE: 'off' })).codeCache).toBe('off');
    rmSync(cacheOf('build'));
    expect((await build([], { MKJAIL_CODE_CACHE: 'off' })).codeCache).toBe('off');
    const check = await build(['--check']);
    expect([check.exitCode, check.codeCache]).toEqual([0, 'miss']);
    expect(existsSync(cacheOf('build'))).toBe(false);
  });

  it('is not written on a bundle directory mounted read-only, and the build still works', async () => {
    rmSync(cacheOf('build'), { force: true });
    await execa('mount', ['--bind', bundleDir, bundleDir]);
    try {
      await execa('mount', ['-o', 'remount,bind,ro', bundleDir]);
      const built = await build();
      expect([built.exitCode, built.codeCache]).toEqual([0, 'miss']);
      expect(existsSync(cacheOf('build'))).toBe(false);
    } finally {
      await execa('umount', [bundleDir]);
    }
  });

  it('is not written by root for a bundle another user owns', async () => {
    chownSync(join(bundleDir, 'mkjail.cjs'), 65534, 65534);
    try {
      const built = await build();
      expect([built.exitCode, built.codeCache]).toEqual([0, 'miss']);
      expect(existsSync(cacheOf('build'))).toBe(false);
    } finally {
      chownSync(join(bundleDir, 'mkjail.cjs'), 0, 0);
    }
  });
});
