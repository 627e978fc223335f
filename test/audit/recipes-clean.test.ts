import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerNotRoot } from '../../src/audit/rules/owner-not-root.js';
import { auditReportSchema } from '../../src/audit/finding.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { buildInScratch } from './helpers/build-in-scratch.js';

const ok = prerequisites({ root: true, commands: ['named', 'nginx', 'unbound', 'getcap', 'mknod'], packages: 'bind9 nginx-light unbound libcap2-bin' });

/** Every recipe of recipes/ with every variant it documents (--set values); a new recipe is built as is. */
const VARIANTS: Record<string, Array<Record<string, string>>> = { bind: [{}, { mode: 'wrapper' }], unbound: [{}, { mode: 'self' }] };
const RECIPES = readdirSync(join(REPO_ROOT, 'recipes'))
  .filter((name) => name.endsWith('.ts'))
  .flatMap((name) => (VARIANTS[name.slice(0, -3)] ?? [{}]).map((set) => ({ name, set })));

describe.skipIf(!ok)('auditing the jails recipes/ builds', () => {
  it('finds at least the bind and id recipes to build', () => {
    expect(RECIPES.map((r) => r.name)).toEqual(expect.arrayContaining(['bind.ts', 'id.ts']));
  });

  it.each(RECIPES)('audits the jail of $name built with $set clean, with no --allow', async ({ name, set }) => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes', name), set);
    try {
      const result = await mkjail(['audit', '--json', build.dir]);
      const report = auditReportSchema.parse(JSON.parse(result.stdout));
      expect({ exitCode: result.exitCode, findings: report.findings, manifest: report.manifest }).toEqual({
        exitCode: 0,
        findings: [],
        manifest: join(build.dir, 'manifest.json'),
      });
    } finally {
      build.cleanup();
    }
  });

  it('reports the service-owned directories of the bind jail when it is audited without its manifest', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/bind.ts'));
    try {
      const result = await mkjail(['audit', '--json', join(build.dir, 'root')]);
      const report = auditReportSchema.parse(JSON.parse(result.stdout));
      expect(result.exitCode).toBe(1);
      expect(report.findings.map((f) => [f.rule, f.path])).toEqual([
        [ownerNotRoot.id, '/run/named'],
        [ownerNotRoot.id, '/var/cache/bind'],
      ]);
    } finally {
      build.cleanup();
    }
  });
});
