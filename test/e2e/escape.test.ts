// A program started by the launcher in a jail built by mkjail cannot get out: fixtures/escape/escape.c
// (built here with gcc) tries the classic escapes. Run as root without the launcher's drop, the same
// program gets out at the first attempt, which proves the test can see an escape.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { ALL_ESCAPES_BLOCKED, buildEscapeProbe } from '../helpers/escape-probe.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'setpriv', 'chroot'], packages: 'gcc libc6-dev util-linux coreutils' });

/** Runs `command` with a host directory open as fd 3; resolves with its exit code and output. */
function runWithDirectory(command: string, args: string[], directory: string): Promise<{ exitCode: number | null; stdout: string }> {
  const fd = openSync(directory, 'r');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit', fd] });
  closeSync(fd);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('close', (exitCode) => resolve({ exitCode, stdout: stdout.trimEnd() })));
}

describe.skipIf(!ok)('a program in a jail built by mkjail and started by its launcher', () => {
  let host: string;
  let marker: string;
  let jail: BuiltJail;

  beforeAll(async () => {
    host = mkdtempSync(join(tmpdir(), 'mkjail-escape-'));
    chmodSync(host, 0o755);
    buildEscapeProbe(join(host, 'escape'));
    marker = join(host, 'marker');
    writeFileSync(marker, 'outside the jail\n');
    jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'escape',
  files: [{ from: ${JSON.stringify(join(host, 'escape'))}, to: '/bin/escape' }],
  user: 'nobody',
  group: 'nogroup',
  devices: ['null'],
  run: { argv: ['/bin/escape'] },
});
`);
  });
  afterAll(() => {
    jail?.cleanup();
    rmSync(host, { recursive: true, force: true });
  });

  it('fails at every classic escape', async () => {
    expect(await runWithDirectory(join(jail.dir, 'launch'), [marker], host)).toEqual({
      exitCode: 0,
      stdout: ALL_ESCAPES_BLOCKED,
    });
  });

  it('gets out at the first escape when run as root by plain chroot, without the drop', async () => {
    const result = await runWithDirectory('chroot', [jail.root, '/bin/escape', marker], host);
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('chroot-dotdot: ESCAPED (outside the jail)');
  });
});
