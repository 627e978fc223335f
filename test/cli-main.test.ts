import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MKJAIL_BIN, mkjail } from './helpers/cli.js';
import { elfExecutables } from '../bench/elf-programs.mjs';

/** Runs mkjail with its output going to a reader that leaves after the first chunk (as `| head -1` does). */
function runIntoReaderThatLeaves(args: string[]): Promise<{ exitCode: number | null; stderr: string; firstChunk: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MKJAIL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let firstChunk = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.stdout.once('data', (chunk: Buffer) => {
      firstChunk = String(chunk);
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stderr, firstChunk }));
  });
}

describe('the mkjail command line', () => {
  it('lists every command and the exit codes in --help', async () => {
    const result = await mkjail(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['build', 'deps', 'verify', 'audit', 'run']) expect(result.stdout).toContain(`  ${command} `);
    expect(result.stdout).toContain('Exit codes');
  });

  it('rejects an unknown command with one line and exit code 2', async () => {
    const result = await mkjail(['frobnicate']);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "mkjail: unknown command 'frobnicate' (fix: run 'mkjail --help' for the list)",
    });
  });

  it('stops writing quietly when the reader of its output leaves, and exits with its own code', async () => {
    // --json of every program in /usr/bin is far more than a pipe holds: the write meets the closed pipe.
    const args = ['deps', '--json', ...elfExecutables(['/usr/bin'])];
    const whole = await mkjail(args);
    expect(whole.stdout.length).toBeGreaterThan(256 * 1024);
    const result = await runIntoReaderThatLeaves(args);
    expect(result.firstChunk).toMatch(/^\{/);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: whole.exitCode, stderr: whole.stderr });
  });
});
