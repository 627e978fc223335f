// A build through the CLI with enough bytes to hash (named's and perl's closures, ~60 MB) that worker
// threads start and, on a machine with two processors or more, usually take part: which thread hashes
// which file depends on how soon they start, so this checks what must hold either way. Every file's
// manifest sha256 is the host file's, and the jail's copy has the same bytes. That the workers' digests
// and errors are the planning thread's is proven in test/plan/host-digests.test.ts.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const { POOL_BYTES } = await import('../../dist/plan/host-digests.js');
const PROGRAMS = ['/usr/sbin/named', '/usr/bin/perl', '/usr/bin/tar', '/usr/bin/ls'];
const ok = prerequisites({ root: true, commands: PROGRAMS, packages: 'bind9 perl tar coreutils' });

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface FileEntry {
  path: string;
  type: string;
  sha256?: string;
  source?: string;
}

describe.skipIf(!ok)('a build whose host files are hashed on worker threads', () => {
  const scratch = ok ? makeScratch('worker-digests-') : '';
  afterAll(() => removeScratch(scratch));

  it("writes each host file's own sha256 into the manifest, and the same bytes into the jail", async () => {
    // The recipe's own programs come to the size that starts the workers before the plan.
    expect(PROGRAMS.reduce((bytes, program) => bytes + statSync(program).size, 0)).toBeGreaterThanOrEqual(POOL_BYTES);
    const recipe = join(scratch, 'recipe.ts');
    writeFileSync(recipe, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'digests', binaries: ${JSON.stringify(PROGRAMS)} });\n`);
    const out = join(scratch, 'out');
    // Every file hashed in this run, not taken from the digests earlier builds kept (digest-cache.ts).
    const built = await mkjail(['build', recipe, '--out', out, '--json'], { env: { MKJAIL_DIGEST_CACHE: 'off' } });
    expect(built).toMatchObject({ exitCode: 0, stderr: '' });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { entries: FileEntry[] };
    const copied = manifest.entries.filter((entry) => entry.type === 'file' && entry.source !== undefined);
    expect(copied.length).toBeGreaterThan(PROGRAMS.length);
    for (const entry of copied) {
      expect({ path: entry.path, sha256: entry.sha256 }).toEqual({ path: entry.path, sha256: sha256(entry.source ?? '') });
      expect(sha256(join(out, 'root', entry.path))).toBe(entry.sha256);
    }
    // A rebuild proves the jail against those digests, byte for byte, and finds nothing to change.
    const again = await mkjail(['build', recipe, '--out', out, '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false });
  });
});
