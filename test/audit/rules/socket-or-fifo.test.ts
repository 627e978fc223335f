import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditJail } from '../../../src/audit/run-audit.js';
import { socketOrFifo } from '../../../src/audit/rules/socket-or-fifo.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'mkfifo', 'named'], packages: 'bind9 libcap2-bin' });

describe.skipIf(!ok)('the socket-or-fifo rule', () => {
  it('reports a FIFO, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => {
      execFileSync('mkfifo', ['-m', '600', join(root, 'etc/pipe')]);
    });
    expect(findings).toEqual([findingOf(socketOrFifo, '/etc/pipe', 'fifo, mode 0600, owner 0:0')]);
  });

  it('reports a listening unix socket', async () => {
    const server = createServer();
    try {
      const findings = await auditWithFlaw(async (root) => {
        await new Promise<void>((done) => server.listen(join(root, 'etc/log.sock'), done));
        execFileSync('chmod', ['600', join(root, 'etc/log.sock')]);
      });
      expect(findings).toEqual([findingOf(socketOrFifo, '/etc/log.sock', 'socket, mode 0600, owner 0:0')]);
    } finally {
      server.close();
    }
  });

  it('accepts a FIFO below a writable path the manifest declares, and reports the same FIFO elsewhere', async () => {
    const bind = await buildInScratch(join(REPO_ROOT, 'recipes/bind.ts'));
    try {
      execFileSync('mkfifo', ['-m', '600', join(bind.dir, 'root/run/named/control')]);
      const declared = await auditJail(join(bind.dir, 'root'), { manifestFile: join(bind.dir, 'manifest.json') });
      expect(declared.findings).toEqual([]);
      const undeclared = await auditJail(join(bind.dir, 'root'), {
        allow: [
          { rule: 'owner-not-root', path: '/run/named' },
          { rule: 'owner-not-root', path: '/var/cache/bind' },
        ],
      });
      expect(undeclared.findings).toEqual([findingOf(socketOrFifo, '/run/named/control', 'fifo, mode 0600, owner 0:0')]);
    } finally {
      bind.cleanup();
    }
  });
});
