// The host files' digests kept across runs (src/plan/digest-cache.ts), checked with real builds through
// the CLI and strace: a rebuild takes a kept digest for a host file whose stamp is unchanged and never
// opens it, while it still reads every file of the jail to compare it; new bytes (same size) in the host
// file change its stamp, and the next build hashes it and brings them in; --check keeps nothing, and
// MKJAIL_DIGEST_CACHE=off reads the host file again.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGEST_CACHE_DIR } from '../../src/plan/digest-cache.js';
import { MKJAIL_BIN, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['strace'], packages: 'strace' });
const CACHE_FILE = join(DIGEST_CACHE_DIR, 'host-files.json');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** Waits until files written now are old enough for their stamps to stand for their bytes (host-read.ts). */
const letSettle = () => new Promise((done) => setTimeout(done, 1100));

describe.skipIf(!ok)('the host digests kept across builds', () => {
  const scratch = ok ? makeScratch('digest-cache-') : '';
  afterAll(() => removeScratch(scratch));
  const host = join(scratch, 'data.bin');
  const recipe = join(scratch, 'recipe.ts');
  const out = join(scratch, 'out');
  const kept = (path: string) => {
    const files = existsSync(CACHE_FILE) ? (JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as { files: Record<string, [string, number, string]> }).files : {};
    return files[path];
  };
  /** The build's JSON result, and whether the build process opened the host file. */
  const tracedBuild = async (env: Record<string, string> = {}) => {
    const log = join(scratch, 'strace.log');
    // -y names the file each descriptor opened (host files are opened one component at a time: open-below.ts).
    const run = await execa('strace', ['-f', '-qq', '-y', '-e', 'trace=open,openat', '-o', log, process.execPath, MKJAIL_BIN, 'build', recipe, '--out', out, '--json'], { reject: false, env });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    return { result: JSON.parse(String(run.stdout)) as { changed: boolean }, openedHost: readFileSync(log, 'utf8').includes(`<${host}>`) };
  };

  it('keeps the digest of a stable host file, and a rebuild proves the jail without opening the host file', async () => {
    writeFileSync(host, Buffer.alloc(100_000, 1));
    writeFileSync(recipe, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'kept', files: [{ from: ${JSON.stringify(host)}, to: '/data.bin' }] });\n`);
    await letSettle();
    const first = await mkjail(['build', recipe, '--out', out, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(kept(host)?.[2]).toBe(sha256(readFileSync(host)));
    const again = await tracedBuild();
    expect(again).toEqual({ result: expect.objectContaining({ changed: false }), openedHost: false });
  });

  it('hashes a host file again once new bytes change its stamp, and brings them into the jail', async () => {
    writeFileSync(host, Buffer.alloc(100_000, 2));
    await letSettle();
    const changed = await tracedBuild();
    expect(changed).toEqual({ result: expect.objectContaining({ changed: true }), openedHost: true });
    expect(readFileSync(join(out, 'root/data.bin'))).toEqual(Buffer.alloc(100_000, 2));
    expect(kept(host)?.[2]).toBe(sha256(Buffer.alloc(100_000, 2)));
  });

  it('reads the host file again with MKJAIL_DIGEST_CACHE=off', async () => {
    expect((await tracedBuild({ MKJAIL_DIGEST_CACHE: 'off' })).openedHost).toBe(true);
  });

  it('keeps nothing for a --check build', async () => {
    const fresh = join(scratch, 'fresh.bin');
    copyFileSync(host, fresh);
    writeFileSync(recipe, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'kept', files: [{ from: ${JSON.stringify(fresh)}, to: '/data.bin' }] });\n`);
    await letSettle();
    const check = await mkjail(['build', recipe, '--out', out, '--check', '--json']);
    expect(check.exitCode, check.stderr).toBe(1);
    expect(kept(fresh)).toBeUndefined();
  });
});
