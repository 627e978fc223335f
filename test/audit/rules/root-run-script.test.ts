import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLauncher } from '../../../src/artifacts/launcher.js';
import { renderPermsScript } from '../../../src/artifacts/perms-script.js';
import { MANIFEST_FORMAT, type Manifest } from '../../../src/plan/manifest.js';
import { rootRunScript } from '../../../src/audit/rules/root-run-script.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

const MANIFEST: Manifest = {
  format: MANIFEST_FORMAT,
  tool: { name: 'mkjail', version: '0.1.0' },
  recipe: { name: 'demo', sha256: '0'.repeat(64) },
  identity: { user: 'named', uid: 102, group: 'named', gid: 105 },
  writable: [],
  run: { argv: ['/bin/service'], env: {}, chroot: 'launcher' },
  entries: [],
};

describe.skipIf(!ok)('the root-run-script rule', () => {
  it('reports a file named perms.sh, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => writeFileSync(join(root, 'etc/perms.sh'), 'chmod 0400 x\n', { mode: 0o444 }));
    expect(findings).toEqual([findingOf(rootRunScript, '/etc/perms.sh', 'root-run file named perms.sh')]);
  });

  it('reports a systemd unit', async () => {
    const findings = await auditWithFlaw((root) => writeFileSync(join(root, 'etc/named.service'), '[Service]\n', { mode: 0o444 }));
    expect(findings).toEqual([findingOf(rootRunScript, '/etc/named.service', 'root-run file named named.service')]);
  });

  it("recognises mkjail's launcher and perms.sh by their headers under other names", async () => {
    const findings = await auditWithFlaw((root) => {
      writeFileSync(join(root, 'etc/start'), renderLauncher(MANIFEST) ?? '', { mode: 0o444 });
      writeFileSync(join(root, 'etc/fix-modes'), renderPermsScript(MANIFEST), { mode: 0o444 });
    });
    expect(findings).toEqual([
      findingOf(rootRunScript, '/etc/fix-modes', 'script with a launcher or perms.sh header'),
      findingOf(rootRunScript, '/etc/start', 'script with a launcher or perms.sh header'),
    ]);
  });
});
