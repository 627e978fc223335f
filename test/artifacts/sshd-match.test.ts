// DIR/sshd_config for a jail sshd enters: a forced command gets no terminal; a shell gets the bind mount
// of the host's devpts it needs for terminal logins when the jail has /dev/pts and /dev/tty, and
// PermitTTY no when it has not.
import { describe, expect, it } from 'vitest';
import { renderSshdMatch } from '../../src/artifacts/sshd-match.js';
import { MANIFEST_FORMAT, type Manifest } from '../../src/plan/manifest.js';
import { outputLayout } from '../../src/plan/output-layout.js';

const DEVICE = [{ kind: 'device' as const, why: 'test' }];

function manifest(sshd: Manifest['sshd'], devices: boolean): Manifest {
  const entries: Manifest['entries'] = devices
    ? [
        { type: 'dir', path: '/dev/pts', mode: '0555', uid: 0, gid: 0, reasons: DEVICE },
        { type: 'chardev', path: '/dev/tty', mode: '0666', uid: 0, gid: 0, major: 5, minor: 0, reasons: DEVICE },
      ]
    : [];
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: '0.1.0' },
    recipe: { name: 'shell', sha256: '0'.repeat(64) },
    identity: { user: 'alice', uid: 1001, group: 'alice', gid: 1001 },
    writable: [],
    run: null,
    sshd,
    entries,
  } as Manifest;
}

const layout = outputLayout('/srv/jails/shell');
const matchBlock = (text: string | undefined) => (text ?? '').split('\n').filter((line) => line.startsWith('    '));

describe('renderSshdMatch', () => {
  it('tells how to bind the host devpts for terminal logins when the jail has /dev/pts and /dev/tty', () => {
    const text = renderSshdMatch(manifest({}, true), layout);
    expect(text).toContain('# there (each pts stays its owner\'s, mode 0620): mount --bind /dev/pts /srv/jails/shell/root/dev/pts');
    expect(text).toContain('#   or in /etc/fstab: /dev/pts /srv/jails/shell/root/dev/pts none bind 0 0');
    expect(matchBlock(text)).toEqual(['    ChrootDirectory /srv/jails/shell/root', '    AllowTcpForwarding no', '    AllowAgentForwarding no', '    X11Forwarding no', '    PermitTunnel no']);
  });

  it('gives no terminal to a jail without them, nor to a forced command', () => {
    expect(matchBlock(renderSshdMatch(manifest({}, false), layout))).toContain('    PermitTTY no');
    const forced = renderSshdMatch(manifest({ forceCommand: 'internal-sftp' }, true), layout);
    expect(matchBlock(forced)).toEqual(expect.arrayContaining(['    ForceCommand internal-sftp', '    PermitTTY no']));
    expect(forced).not.toContain('mount --bind');
  });
});
