import { describe, expect, it } from 'vitest';
import { mkjail } from './helpers/cli.js';

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
});
