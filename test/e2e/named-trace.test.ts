// named traced with the test configuration (fixtures/bind) against recipes/bind.ts, in wrapper mode
// (the recipe's own run, named -g -c CONFIG, traced on the host). Of everything named opened, the jail
// lacks one file: /etc/bind/bind.keys, the trust anchors named reads at start when the file exists
// (the jailed named answers without it: test/e2e/bind.test.ts). Self mode is not traced here.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, freeDnsPort, writeBindFixture } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'strace'], packages: 'bind9 strace' });

describe.skipIf(!ok)('mkjail trace --recipe recipes/bind.ts', () => {
  let fixture: BindFixture;
  beforeAll(async () => {
    fixture = writeBindFixture(await freeDnsPort());
  });
  afterAll(() => fixture?.cleanup());

  it('wrapper mode: of what named opened, the jail lacks only /etc/bind/bind.keys', async () => {
    const traced = await mkjail(['trace', '--recipe', join(REPO_ROOT, 'recipes/bind.ts'), '--set', `config=${fixture.config}`, '--set', 'mode=wrapper', '--set', 'low_ports=no', '--timeout', '6']);
    expect(traced.exitCode, traced.stderr).toBe(1);
    const fields = traced.stdout.split('\n').filter((line) => line.startsWith('  ') && !line.startsWith('  name:') && !line.startsWith('  //'));
    expect(fields).toEqual(['  files: [', "    '/etc/bind/bind.keys', // traced: named read it (openat)", '  ],']);
  });
});
