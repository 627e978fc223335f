// The README's first command on Debian's stock BIND config (self mode, port 53 of 127.0.0.1), and
// `mkjail run` on a built jail: both through the real CLI (run `npm run build` first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, type Running, dig, freeDnsPort, startInBackground, tcpFree, udpFree, waitForAnswer, writeBindFixture } from './named-process.js';

const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const ok = prerequisites({ root: true, commands: ['named', 'dig'], packages: 'bind9 bind9-dnsutils' });

describe.skipIf(!ok)('the jailed named through the command line', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  function scratch(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mkjail-e2e-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it("answers dig @127.0.0.1 localhost from Debian's stock db.local after `mkjail build recipes/bind.ts --out DIR` and `DIR/launch`", async () => {
    if (!(await tcpFree(53)) || !(await udpFree(53))) {
      throw new Error('port 53 of 127.0.0.1 is busy: stop the host named (systemctl stop named) and run this test again');
    }
    const out = join(scratch(), 'out');
    const build = await mkjail(['build', RECIPE, '--out', out]);
    expect({ exitCode: build.exitCode, stderr: build.stderr }).toMatchObject({ exitCode: 0 });
    expect(build.stdout).toMatch(new RegExp(`^built ${out}/root \\(\\d+ entries, \\d+ bytes\\)$`, 'm'));
    const named: Running = startInBackground(join(out, 'launch'), [], 'ignore');
    cleanups.push(() => named.stop());
    expect(await waitForAnswer('localhost', 53, '127.0.0.1', named)).toBe('127.0.0.1');
  });

  it('starts the service with `mkjail run DIR`, passes SIGTERM on, and returns its exit code', async () => {
    const fixture: BindFixture = writeBindFixture(await freeDnsPort());
    cleanups.push(() => fixture.cleanup());
    const out = join(scratch(), 'out');
    const build = await mkjail(['build', RECIPE, '--out', out, '--set', `config=${fixture.config}`]);
    expect(build.exitCode).toBe(0);
    const run = execa(process.execPath, [MKJAIL_BIN, 'run', out, '--', '-n', '1'], { reject: false, all: true });
    const log: Running = { pid: run.pid as number, log: () => '', stop: async () => void (await run) };
    try {
      expect(await waitForAnswer('www.example.test', fixture.port, '192.0.2.80', log)).toBe('192.0.2.80');
    } finally {
      run.kill('SIGTERM');
    }
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('using 1 UDP listener per interface');
    expect(await dig('www.example.test', fixture.port)).toBe('');
  });

  it('refuses to run a directory without a manifest, with exit 2', async () => {
    const dir = scratch();
    const result = await mkjail(['run', dir]);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail run: Can't read manifest at ${dir}/manifest.json: no such file or directory (fix: point at a directory built by \`mkjail build\` (it holds manifest.json))`,
    });
  });
});
