// Removing the artifacts a previous build left that this one no longer writes, on a real DIR.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, type Manifest } from '../../src/plan/manifest.js';
import { removeStaleArtifacts } from '../../src/stage/artifacts.js';
import { outputLayout } from '../../src/plan/output-layout.js';

function previousNamed(name: string): Manifest {
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: '0.1.0' },
    recipe: { name, sha256: '0'.repeat(64) },
    identity: null,
    writable: [],
    run: null,
    entries: [],
  };
}

describe('removeStaleArtifacts', () => {
  let scratch: string;
  let dir: string;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-artifacts-'));
    dir = join(scratch, 'out');
    mkdirSync(dir);
  });
  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it("removes the previous build's launcher and unit when the new build writes neither", () => {
    writeFileSync(join(dir, 'launch'), '');
    writeFileSync(join(dir, 'bind.service'), '');
    removeStaleArtifacts(outputLayout(dir), [], previousNamed('bind'));
    expect([existsSync(join(dir, 'launch')), existsSync(join(dir, 'bind.service'))]).toEqual([false, false]);
  });

  it('deletes nothing outside DIR for a previous manifest whose recipe name is not a recipe name', () => {
    const victim = join(scratch, 'victim.service');
    writeFileSync(victim, 'keep me');
    removeStaleArtifacts(outputLayout(dir), [], previousNamed('../victim'));
    expect(existsSync(victim)).toBe(true);
  });
});
