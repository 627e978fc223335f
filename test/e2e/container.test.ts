// The FROM-scratch story: a jail built as a tar (by an ordinary user) becomes an OCI image through
// examples/container/Dockerfile, and the image holds exactly the manifest's tree and runs named.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['buildah', 'named'], packages: 'buildah bind9' });
const buildah = (...args: string[]) => execa('buildah', ['--storage-driver', 'vfs', ...args]);

describe.skipIf(!ok)('a jail tar as a FROM-scratch image (examples/container/Dockerfile)', () => {
  let scratch = '';
  const tag = `localhost/mkjail-test-bind:${process.pid}`;
  let container = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-container-'));
    const built = await mkjail(['build', `${REPO_ROOT}recipes/bind.ts`, '--set', 'mode=wrapper',
      '--out', join(scratch, 'out'), '--tar', join(scratch, 'bind.tar')]);
    expect(built.exitCode, built.stderr).toBe(0);
    copyFileSync(`${REPO_ROOT}examples/container/Dockerfile`, join(scratch, 'Dockerfile'));
    await buildah('bud', '--isolation', 'chroot', '--quiet', '-t', tag, scratch);
    container = (await buildah('from', tag)).stdout.trim();
  });

  afterAll(async () => {
    if (container) await buildah('rm', container).catch(() => undefined);
    await buildah('rmi', '-f', tag).catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('holds exactly the tree the manifest describes: the audit with the manifest finds nothing', async () => {
    const mounted = (await buildah('mount', container)).stdout.trim();
    try {
      const audit = await mkjail(['audit', mounted, '--manifest', join(scratch, 'out', 'manifest.json')]);
      expect({ exitCode: audit.exitCode, stdout: audit.stdout }).toMatchObject({ exitCode: 0 });
    } finally {
      await buildah('umount', container);
    }
  });

  it('runs the jailed named as the image user bind, with nothing else in the image to run', async () => {
    const version = await buildah('run', '--isolation', 'chroot', container, '--', '/usr/sbin/named', '-v');
    expect(version.stdout).toMatch(/^BIND 9\./);
    const noShell = await buildah('run', '--isolation', 'chroot', container, '--', '/bin/sh', '-c', 'true').then(
      () => 'ran',
      () => 'failed',
    );
    expect(noShell).toBe('failed');
  });
});
