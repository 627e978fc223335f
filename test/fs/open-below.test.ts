// Reading a file the service owns, in a tree the service can change, never follows a symlink it planted.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, MkjailError } from '../../src/errors.js';
import { readFileBelow } from '../../src/fs/open-below.js';

describe('readFileBelow', () => {
  let scratch: string;
  let root: string;
  let secret: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-open-below-'));
    root = join(scratch, 'root');
    mkdirSync(join(root, 'var/lib/svc'), { recursive: true });
    secret = join(scratch, 'host-secret');
    writeFileSync(secret, 'host secret\n');
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads a regular file inside the root', () => {
    writeFileSync(join(root, 'var/lib/svc/zone.db'), 'zone data\n');
    expect(readFileBelow(root, '/var/lib/svc/zone.db')?.toString()).toBe('zone data\n');
  });

  it('does not read through a file swapped for a symlink to a host file', () => {
    symlinkSync(secret, join(root, 'var/lib/svc/zone.db'));
    expect(readFileBelow(root, '/var/lib/svc/zone.db')).toBeUndefined();
  });

  it('does not read through a directory swapped for a symlink to a host directory', () => {
    rmSync(join(root, 'var/lib/svc'), { recursive: true });
    symlinkSync(scratch, join(root, 'var/lib/svc'));
    expect(readFileBelow(root, '/var/lib/svc/host-secret')).toBeUndefined();
  });

  it('says undefined for a missing file or a directory in its place', () => {
    expect(readFileBelow(root, '/var/lib/svc/none')).toBeUndefined();
    expect(readFileBelow(root, '/var/lib/svc')).toBeUndefined();
  });

  it('refuses, with one line naming it, a writable file too large to hold in memory (a sparse 5 GiB one)', () => {
    writeFileSync(join(root, 'var/lib/svc/zone.db'), '');
    truncateSync(join(root, 'var/lib/svc/zone.db'), 5 * 2 ** 30);
    let thrown: unknown;
    try {
      readFileBelow(root, '/var/lib/svc/zone.db');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MkjailError);
    expect({ line: (thrown as MkjailError).toLine(), exitCode: (thrown as MkjailError).exitCode }).toEqual({
      line: `Can't read writable file at ${root}/var/lib/svc/zone.db: it holds 5368709120 bytes, more than the 268435456 a writable file may hold (fix: shrink or remove it in the old jail, or declare its directory writable instead: a directory's contents are copied, not held in memory)`,
      exitCode: EXIT.environment,
    });
  });
});
