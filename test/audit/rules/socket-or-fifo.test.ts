import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { socketOrFifo } from '../../../src/audit/rules/socket-or-fifo.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'mkfifo'] });

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
});
