// Zones added at run time with `rndc addzone` live in new-zones-directory (an LMDB `.nzd`), which named
// must be able to write in its jail, and which is state: a zone the host's named added before there
// was a jail comes into the first build, and a zone the jailed named added survives a rebuild. Run by
// the real named, on the host first, then in its jail, over a control channel of its own on 127.0.0.1.
// Needs root, named, named-checkconf, rndc.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, freeDnsPort, kernelPickedPort, type Running, scratchOptions, startInBackground } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'rndc'], packages: 'bind9 bind9-utils' });

/** A secondary zone whose primary never answers: named keeps it (and its .nzd entry) without a file to load. */
const secondary = (name: string) => `${name} { type secondary; primaries { 127.0.0.1 port 9; }; file "${name}.db"; };`;

describe.skipIf(!ok)('zones added with rndc addzone, in new-zones-directory', () => {
  const scratch = ok ? makeScratch('bind-newzones-') : '';
  const config = join(scratch, 'etc/named.conf');
  const hostNzd = join(scratch, 'nz/_default.nzd');
  let jail: BuiltJail;
  let running: Running | undefined;

  /** rndc over the control channel; retried while named is still starting, for 30 s at most. */
  async function rndc(...args: string[]): Promise<string> {
    const deadline = Date.now() + 30_000;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        // A bounded wait: rndc's own is a minute when nothing answers on the control port.
        return execFileSync('rndc', ['-c', join(scratch, 'rndc.conf'), ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 3000 });
      } catch (error) {
        last = error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`rndc ${args.join(' ')} failed: ${String((last as { stderr?: unknown }).stderr ?? last)}\n${running?.log() ?? ''}`);
  }

  beforeAll(async () => {
    const port = await freeDnsPort();
    // The control channel on a port the kernel picks: the DNS port's neighbour may be another test's.
    const control = await kernelPickedPort();
    const secret = randomBytes(32).toString('base64');
    const key = `key "mkjt-rndc" { algorithm hmac-sha256; secret "${secret}"; };`;
    for (const dir of ['etc', 'cache', 'run', 'nz']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    writeFileSync(config, [
      key,
      `controls { inet 127.0.0.1 port ${control} allow { 127.0.0.1; } keys { "mkjt-rndc"; }; };`,
      'options {',
      scratchOptions(scratch, port),
      `  allow-new-zones yes; new-zones-directory "${scratch}/nz";`,
      '};',
      '',
    ].join('\n'), { mode: 0o644 });
    writeFileSync(join(scratch, 'rndc.conf'), `${key}\noptions { default-key "mkjt-rndc"; default-server 127.0.0.1; default-port ${control}; };\n`, { mode: 0o600 });
    for (const dir of ['cache', 'run', 'nz']) execFileSync('chown', ['bind:bind', join(scratch, dir)]);
    execFileSync('named-checkconf', ['-z', config], { stdio: 'pipe' });
    // named on the host, as it ran before the jail: it adds a zone, kept in its .nzd.
    running = startInBackground('named', ['-g', '-n', '1', '-u', 'bind', '-c', config], 'ignore');
    try {
      await rndc('addzone', secondary('host.test'));
    } finally {
      await running.stop();
      running = undefined;
    }
    jail = await buildBindJailFrom(scratch, config, []);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('brings the .nzd the host named wrote into the first build, as named\'s own (bind 0600) in a writable directory', () => {
    const bind = Number(execFileSync('id', ['-u', 'bind'], { encoding: 'utf8' }).trim());
    expect(jail.manifest.writable.map((w) => w.path)).toContain(join(scratch, 'nz'));
    expect(jail.manifest.entries.find((e) => e.path === hostNzd)).toMatchObject({ type: 'file', uid: bind, mode: '0600' });
  });

  it('knows the host\'s zone in the jail, and adds its own there, leaving the host\'s .nzd alone', async () => {
    const before = readFileSync(hostNzd);
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    expect(await rndc('showzone', 'host.test')).toContain('zone "host.test"');
    await rndc('addzone', secondary('jail.test'));
    expect(await rndc('showzone', 'jail.test')).toContain('zone "jail.test"');
    await running.stop();
    running = undefined;
    expect(readFileSync(hostNzd)).toEqual(before);
    expect(statSync(join(jail.root, hostNzd)).size).toBeGreaterThan(0);
  });

  it('keeps both zones across a rebuild that replaces the tree', async () => {
    appendFileSync(config, '// edited: the rebuild stages a new tree\n');
    const result = await jail.rebuild();
    expect(result.changes.length).toBeGreaterThan(0);
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    expect(await rndc('showzone', 'host.test')).toContain('zone "host.test"');
    expect(await rndc('showzone', 'jail.test')).toContain('zone "jail.test"');
    await running.stop();
    running = undefined;
  });
});
