// `mkjail build --timings`: where a build's time went, by phase, on stderr or in --json; the phases
// (the remainder as `other`) add up to the total; and whether mkjail's code came from its code cache.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { makeScratch, removeScratch } from '../../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'perl'] });

describe.skipIf(!ok)('mkjail build --timings', () => {
  const scratch = ok ? makeScratch('timings-') : '';
  const out = join(scratch, 'out');
  afterAll(() => removeScratch(scratch));

  it('reports every phase of a first build in --json, adding up to the total', async () => {
    const result = await mkjail(['build', `${REPO_ROOT}recipes/id.ts`, '--out', out, '--json', '--timings']);
    expect(result.exitCode, result.stderr).toBe(0);
    const { changed, timings, codeCache } = JSON.parse(result.stdout) as { changed: boolean; timings: Record<string, number>; codeCache: string };
    expect(changed).toBe(true);
    // bin/mkjail runs the bundle; its loader says whether mkjail's code came from V8's code cache.
    expect(['hit', 'miss']).toContain(codeCache);
    for (const phase of ['start-up', 'imports', 'recipe load', 'plan', 'compare', 'stage', 'swap', 'sync', 'other', 'total']) {
      expect(timings[phase], phase).toBeGreaterThanOrEqual(0);
    }
    const { total, ...phases } = timings;
    const sum = Object.values(phases).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - (total ?? 0))).toBeLessThan(2);
  });

  it('prints one line on stderr otherwise; a rebuild that writes nothing has no stage phase', async () => {
    const result = await mkjail(['build', `${REPO_ROOT}recipes/id.ts`, '--out', out, '--timings']);
    expect(result.exitCode, result.stderr).toBe(0);
    const line = result.stderr.split('\n').find((l) => l.startsWith('mkjail build: timings: '));
    expect(line).toMatch(/start-up [\d.]+, imports [\d.]+, recipe load [\d.]+, .*plan [\d.]+.*compare [\d.]+.* \(total [\d.]+ ms; code cache (hit|miss)\)$/);
    expect(line).not.toMatch(/stage/);
    expect(result.stdout).toMatch(/is up to date/);
  });

  it('leaves --json without timings unless asked', async () => {
    const result = await mkjail(['build', `${REPO_ROOT}recipes/id.ts`, '--out', out, '--json']);
    expect(JSON.parse(result.stdout)).not.toHaveProperty('timings');
  });
});
