// Which mount holds the jail, and the warnings its options give (nodev, noexec).
import { describe, expect, it } from 'vitest';
import { mountWarnings } from '../../src/stage/mount-options.js';

const MOUNTS = [
  '/dev/vda / ext4 rw,relatime 0 0',
  'tmpfs /tmp tmpfs rw,nosuid,nodev 0 0',
  'tmpfs /srv/my\\040jails tmpfs rw,noexec,nodev 0 0',
  '/dev/vdb /srv ext4 rw,relatime 0 0',
].join('\n');

describe('mountWarnings', () => {
  it('says nothing for a jail on a mount without nodev or noexec', () => {
    expect(mountWarnings('/srv/jails/x', MOUNTS)).toEqual([]);
    expect(mountWarnings('/var/jails/x', MOUNTS)).toEqual([]);
  });

  it('warns about nodev for the deepest mount that holds the jail', () => {
    expect(mountWarnings('/tmp/out', MOUNTS)).toEqual([
      "the jail is on /tmp, mounted nodev: its /dev/null can't be opened (build it on a file system without nodev)",
    ]);
  });

  it('reads escaped mount points and warns about noexec too', () => {
    expect(mountWarnings('/srv/my jails/x', MOUNTS)).toEqual([
      "the jail is on /srv/my jails, mounted nodev: its /dev/null can't be opened (build it on a file system without nodev)",
      'the jail is on /srv/my jails, mounted noexec: no program in it can run (build it on a file system without noexec)',
    ]);
  });

  it('does not take /tmpfoo for a path under /tmp', () => {
    expect(mountWarnings('/tmpfoo/x', MOUNTS)).toEqual([]);
  });
});
