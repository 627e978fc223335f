// A followed config can name any host file: /etc/shadow named as a zone file comes into the jail, but
// the service, which can't read it on the host, can't read it in the jail either.
import { execaSync } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'setpriv', 'named'], packages: 'bind9' });

describe.skipIf(!ok)('a named.conf that names /etc/shadow as a zone file', () => {
  // Made only when the block runs: a skipped block's body is still evaluated when tests are collected.
  const scratch = ok ? makeScratch('hostile-conf-') : '';
  let jail: BuiltJail | undefined;
  afterAll(() => {
    jail?.cleanup();
    removeScratch(scratch);
  });

  it('brings it in for root alone (0400 root:root) with a warning, so bind cannot read it in the jail', async () => {
    const conf = join(scratch, 'named.conf');
    writeFileSync(conf, 'zone "example" { type primary; file "/etc/shadow"; };\n');
    jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'hostile', user: 'bind', configs: [{ path: '${conf}', format: 'named.conf' }] });
`);
    const entry = jail.manifest.entries.find((e) => e.path === '/etc/shadow');
    expect(entry && [entry.type, entry.mode, entry.uid, entry.gid]).toEqual(['file', '0400', 0, 0]);
    expect(jail.result.warnings.filter((w) => w.includes('/etc/shadow'))).toEqual([
      `host file /etc/shadow (zone "example" file in ${conf}) is private on the host and the service user bind can't read it there: the jail keeps it for root alone (0400 or 0500 root:root); if the service needs it, give it to the service on the host (chgrp bind)`,
    ]);
    const read = execaSync('setpriv', ['--reuid=bind', '--regid=bind', '--init-groups', 'cat', join(jail.root, 'etc/shadow')], { reject: false, cwd: '/' });
    expect(read.exitCode).toBe(1);
  });
});
