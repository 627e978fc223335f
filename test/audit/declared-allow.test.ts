// Audit exceptions a recipe declares: a jail that holds busybox on purpose says so in its recipe's
// allow, the manifest records it, and `mkjail audit DIR` reads it from there (no command-line flag).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../src/audit/finding.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['busybox', 'getcap'], packages: 'busybox-static libcap2-bin' });
const WHY = 'a shell jail: busybox is the shell and its applets';

function recipe(allow: string): string {
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'allow-test',
  binaries: ['/usr/bin/busybox'],
  links: { '/bin/sh': '/usr/bin/busybox' },
  ${allow}
});
`;
}

describe.skipIf(!ok)('audit exceptions declared by the recipe', () => {
  let declared: BuiltJail;
  let undeclared: BuiltJail;
  beforeAll(async () => {
    declared = await buildJail(recipe(`allow: [{ rule: 'dangerous-binary', path: '/usr/bin/busybox', why: '${WHY}' }, { rule: 'setuid-setgid', path: '/usr/bin/busybox', why: 'never true: reported as unused' }],`));
    undeclared = await buildJail(recipe(''));
  });
  afterAll(() => {
    declared?.cleanup();
    undeclared?.cleanup();
  });

  it('records them in the manifest', () => {
    expect(declared.manifest.allow).toEqual([
      { rule: 'dangerous-binary', path: '/usr/bin/busybox', why: WHY },
      { rule: 'setuid-setgid', path: '/usr/bin/busybox', why: 'never true: reported as unused' },
    ]);
    expect(undeclared.manifest.allow).toBeUndefined();
  });

  it('audits DIR clean with them, saying which finding each allowed and which matched nothing', async () => {
    const result = await mkjail(['audit', declared.dir]);
    expect(result.stdout).toContain(`allowed  dangerous-binary:/usr/bin/busybox (recipe: ${WHY})\n`);
    expect(result.stdout).toContain('unused   recipe allow setuid-setgid:/usr/bin/busybox matched no finding: remove it from the recipe\n');
    expect(result.stdout).toMatch(/clean: \d+ entries, no findings$/);
    expect(result.exitCode).toBe(0);
    const json = auditReportSchema.parse(JSON.parse((await mkjail(['audit', '--json', declared.dir])).stdout));
    expect(json.declared).toEqual(declared.manifest.allow);
    expect(json.allowed).toEqual(['dangerous-binary:/usr/bin/busybox']);
  });

  it('still reports busybox in a jail whose recipe does not declare it', async () => {
    const result = await mkjail(['audit', undeclared.dir]);
    expect(result.stdout).toContain('HIGH     dangerous-binary /usr/bin/busybox: shell busybox');
    expect(result.exitCode).toBe(1);
  });

  it('refuses an allow that names no audit rule, or has no why', async () => {
    for (const [allow, words] of [
      [`allow: [{ rule: 'no-such-rule', path: '/x', why: 'y' }],`, 'field allow.0.rule: not an audit rule id (see mkjail audit --help)'],
      [`allow: [{ rule: 'dangerous-binary', path: '/usr/bin/busybox', why: ' ' }],`, 'field allow.0.why: say why the jail holds this on purpose'],
    ]) {
      await expect(buildJail(recipe(allow as string))).rejects.toThrow(words as string);
    }
  });
});
