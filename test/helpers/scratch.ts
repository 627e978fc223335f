// Scratch directories for jails built by tests, below root-owned 0755 directories only: os.tmpdir() is
// 1777, which the audit's writable-parent rule (rightly) reports for every jail below it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Root-owned 0755 base for scratch trees (created on first use; needs root). */
export const SCRATCH_BASE = '/var/lib/mkjail-test';

/** A fresh root-owned 0755 directory below SCRATCH_BASE; remove it with removeScratch. */
export function makeScratch(prefix = 'scratch-'): string {
  mkdirSync(SCRATCH_BASE, { recursive: true, mode: 0o755 });
  chmodSync(SCRATCH_BASE, 0o755);
  const dir = mkdtempSync(join(SCRATCH_BASE, prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}


/**
 * A fresh directory below os.tmpdir() for a suite that will run (`runs`), or a path never created for one
 * that is skipped: vitest still runs a skipped describe's body to collect its tests, and its afterAll
 * never comes, so an unprivileged `npm test` would leave one directory per skipped suite behind.
 */
export function tmpScratch(prefix: string, runs: boolean): string {
  return runs ? mkdtempSync(join(tmpdir(), prefix)) : join(tmpdir(), `${prefix}not-created`);
}
