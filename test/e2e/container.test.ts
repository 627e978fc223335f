// The Dockerfile story: examples/container/Dockerfile, unchanged, built by `buildah bud` (vfs storage,
// chroot isolation). Its build stage (Debian 12 + Node 20, a base made here: container-base.ts) installs
// bind9 and mkjail from the packed tarball and runs `mkjail build --tar`; the final stage is FROM scratch
// with the jail alone. The image runs named as bind answering dig, its files are the manifest's
// (`mkjail verify` on the mounted image), and a second build with the same SOURCE_DATE_EPOCH gives the
// same layer digest. Everything lives in a storage of its own below the scratch directory, removed after.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { packMkjail } from '../helpers/pack.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { baseTarball, importBase, privateBuildah, type Buildah } from './container-base.js';
import { freeDnsPort, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['buildah', 'mmdebstrap', 'dig', 'npm'], packages: 'buildah mmdebstrap bind9-dnsutils npm' });
const EPOCH = '1700000000';
const BIND_UID = '953';
const IMAGE = 'localhost/mkjail-test-bind';

interface ImageConfig {
  FromImageID: string;
  OCIv1: { config: { User?: string; Entrypoint?: string[] }; rootfs: { diff_ids: string[] } };
}

describe.skipIf(!ok)('examples/container/Dockerfile: mkjail in a build stage, the jail FROM scratch', () => {
  let scratch = '';
  let buildah: Buildah;
  const seconds: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await work();
    } finally {
      seconds[step] = Math.round((Date.now() - start) / 1000);
    }
  };
  const bud = (tag: string, extra: string[]) =>
    // CAP_MKNOD: GNU tar makes the jail's /dev/null in the build stage (Docker's RUN has it by default).
    buildah(['bud', '--isolation', 'chroot', '--cap-add', 'CAP_MKNOD', '--pull=never', '--quiet', '--timestamp', EPOCH,
      '--build-arg', `SOURCE_DATE_EPOCH=${EPOCH}`, ...extra, '-t', tag, join(scratch, 'context')]);
  const inspect = async (image: string) => JSON.parse((await buildah(['inspect', '--type', 'image', image])).stdout) as ImageConfig;
  const from = async (image: string) => (await buildah(['from', image])).stdout.trim();
  const mount = async (container: string) => (await buildah(['mount', container])).stdout.trim();

  beforeAll(async () => {
    scratch = makeScratch('container-');
    buildah = privateBuildah(join(scratch, 'storage'));
    const base = await timed('base', () => baseTarball(scratch));
    seconds.baseMade = base.made ? 1 : 0;
    await timed('import', () => importBase(buildah, base.path));
    // The build context holds the Dockerfile and the packed tarball, nothing else.
    mkdirSync(join(scratch, 'context'));
    const tarball = await timed('pack', () => packMkjail(scratch));
    copyFileSync(tarball, join(scratch, 'context', basename(tarball)));
    copyFileSync(`${REPO_ROOT}examples/container/Dockerfile`, join(scratch, 'context/Dockerfile'));
    // --layers keeps the build stage, so that `--target build` below is that same stage, not a rebuild.
    await timed('build', () => bud(`${IMAGE}:first`, ['--layers']));
  }, 1_500_000);

  afterAll(async () => {
    console.info(`container test, seconds per step: ${JSON.stringify(seconds)}`);
    if (!scratch) return;
    await buildah(['rm', '--all']).catch(() => undefined);
    await buildah(['rmi', '--all', '--force']).catch(() => undefined);
    await execa('umount', [join(scratch, 'verify/root')], { reject: false });
    removeScratch(scratch);
  }, 300_000);

  it('is FROM scratch with one layer, a numeric USER and named as the entrypoint', async () => {
    const image = await inspect(`${IMAGE}:first`);
    expect(image.OCIv1.config.User).toBe(`${BIND_UID}:${BIND_UID}`);
    expect(image.OCIv1.config.Entrypoint).toEqual(['/usr/sbin/named', '-g', '-c', '/etc/bind/named.conf']);
    expect(image.OCIv1.rootfs.diff_ids).toHaveLength(1);
  });

  it("holds exactly the build stage's manifest: mkjail verify on the mounted image finds nothing", async () => {
    await timed('stage', () => bud(`${IMAGE}:stage`, ['--layers', '--target', 'build']));
    const stage = await from(`${IMAGE}:stage`);
    const verify = join(scratch, 'verify');
    mkdirSync(join(verify, 'root'), { recursive: true });
    copyFileSync(join(await mount(stage), 'out/bind/manifest.json'), join(verify, 'manifest.json'));
    await execa('mount', ['--bind', '-o', 'ro', await mount(await from(`${IMAGE}:first`)), join(verify, 'root')]);
    try {
      const result = await mkjail(['verify', verify]);
      expect({ exitCode: result.exitCode, stdout: result.stdout }).toMatchObject({ exitCode: 0 });
      expect(result.stdout).toMatch(/^ok: .* matches its manifest \(\d+ entries\)/m);
    } finally {
      await execa('umount', [join(verify, 'root')]);
    }
  }, 300_000);

  it('runs named from the entrypoint as the image user (bind), answering dig', async () => {
    const container = await from(`${IMAGE}:first`);
    const rootfs = await mount(container);
    const entrypoint = (await inspect(`${IMAGE}:first`)).OCIv1.config.Entrypoint ?? [];
    const port = await freeDnsPort();
    // As `docker run IMAGE -p PORT`: arguments after the image are appended to the entrypoint.
    const running = startInBackground('buildah', ['--root', join(scratch, 'storage/root'), '--runroot', join(scratch, 'storage/run'),
      '--storage-driver', 'vfs', 'run', '--isolation', 'chroot', container, '--', ...entrypoint, '-p', String(port)], 'ignore');
    let named: number[] = [];
    try {
      expect(await waitForAnswer('localhost', port, '127.0.0.1', running)).toBe('127.0.0.1');
      named = descendants(running.pid).filter((pid) => commOf(pid) === 'named');
      expect(named).toHaveLength(1);
      const status = readFileSync(`/proc/${named[0]}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\s+${BIND_UID}\\s+${BIND_UID}\\s+${BIND_UID}\\s+${BIND_UID}$`, 'm'));
      expect(status).toMatch(new RegExp(`^Gid:\\s+${BIND_UID}\\s+${BIND_UID}\\s+${BIND_UID}\\s+${BIND_UID}$`, 'm'));
      expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).toMatch(new RegExp(`^bind:x:${BIND_UID}:${BIND_UID}:`, 'm'));
    } finally {
      await running.stop();
      for (const pid of named) if (commOf(pid) === 'named') process.kill(pid, 'SIGKILL');
    }
  });

  it('gives the same layer digest when built again from nothing with the same SOURCE_DATE_EPOCH', async () => {
    // --layers as the first build, so that the image's history, and so its id, is comparable too.
    await timed('rebuild', () => bud(`${IMAGE}:second`, ['--layers', '--no-cache']));
    const [first, second] = [await inspect(`${IMAGE}:first`), await inspect(`${IMAGE}:second`)];
    expect(second.OCIv1.rootfs.diff_ids).toEqual(first.OCIv1.rootfs.diff_ids);
    expect(second.FromImageID).toBe(first.FromImageID);
  }, 1_200_000);
});

/** The short name of process `pid`, or '' once it is gone. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Every process below `pid` (children, their children...), from /proc's parent links. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}
