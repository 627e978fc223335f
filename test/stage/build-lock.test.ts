// One build at a time per output directory: a live holder refuses a second build (exit 3); the lock of a
// killed build is taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireBuildLock } from '../../src/stage/build-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'mkjail-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('acquireBuildLock', () => {
  it('refuses a second holder while the first is alive, and frees the lock on release', () => {
    const release = acquireBuildLock(dir);
    expect(readFileSync(join(dir, '.mkjail-lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(() => acquireBuildLock(dir)).toThrow(
      `Can't build into output directory at ${dir}: another build (pid ${process.pid}) is running there`,
    );
    release();
    expect(existsSync(join(dir, '.mkjail-lock'))).toBe(false);
  });

  it('takes over the lock of a process that is gone (a killed build)', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, '.mkjail-lock'), `${gone.stdout}\n`);
    const release = acquireBuildLock(dir);
    expect(readFileSync(join(dir, '.mkjail-lock'), 'utf8')).toBe(`${process.pid}\n`);
    release();
  });
});
