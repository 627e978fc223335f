// Scratch directories for jails built by tests, below root-owned 0755 directories only: os.tmpdir() is
// 1777, which the audit's writable-parent rule (rightly) reports for every jail below it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

