// The host files' sha256 hashed on worker threads: the same digests the planning thread makes, the same
// errors it would throw (the first in plan order), and the planning thread taking what no worker has
// started on. The workers run the compiled script (dist/, which `npm test` builds first): run from
// source, as vitest runs the other tests, a plan has no worker script and hashes on its own thread.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostContent } from '../../src/plan/host-read.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { removeScratch, tmpScratch } from '../helpers/scratch.js';

const { HostDigests, POOL_BYTES } = await import('../../dist/plan/host-digests.js');
const workers = Math.min(availableParallelism() - 1, 3);
const scratch = tmpScratch('mkjail-digests-', true);
afterAll(() => removeScratch(scratch));

/** `count` files of `bytes` random bytes each. */
function files(prefix: string, count: number, bytes: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(scratch, `${prefix}-${i}`);
    writeFileSync(path, randomBytes(bytes));
    return path;
  });
}

function contentOf(path: string, ino = lstatSync(path).ino): HostContent {
  const stats = lstatSync(path);
  return { kind: 'host', path, dev: stats.dev, ino, uid: stats.uid, gid: stats.gid };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Queues `paths` (and `extra` contents) in one plan's digests. */
function queue(paths: string[], extra: HostContent[] = []): { digests: InstanceType<typeof HostDigests>; contents: HostContent[] } {
  const digests = new HostDigests();
  const contents = [...paths.map((path) => contentOf(path)), ...extra];
  for (const content of contents) expect(digests.lookup(content, lstatSync(content.path))).toBeUndefined();
  return { digests, contents };
}

describe('host file digests on worker threads', () => {
  const big = files('big', 6, POOL_BYTES / 2);
  const small = files('small', 20, 3000);

  it(`hashes as the planning thread does, ${workers} worker(s) taking files while the plan goes on`, async () => {
    const { digests, contents } = queue([...big, ...small]);
    // The plan resolving for a while: the workers start and hash what they were given.
    await sleep(2000);
    const digestOf = await digests.settle();
    for (const content of contents) {
      expect(digestOf(content)).toMatchObject({ size: lstatSync(content.path).size, sha256: sha256(content.path) });
    }
    expect(digests.hashed.here + digests.hashed.onWorkers).toBe(contents.length);
    if (workers >= 1) expect(digests.hashed.onWorkers).toBeGreaterThan(0);
    else expect(digests.hashed.onWorkers).toBe(0);
  });

  it('lets the planning thread take, from the last file backwards, what no worker has started on', async () => {
    const fresh = files('fresh', 8, POOL_BYTES / 2);
    const { digests, contents } = queue(fresh);
    const digestOf = await digests.settle();
    for (const content of contents) expect(digestOf(content).sha256).toBe(sha256(content.path));
    expect(digests.hashed.here).toBeGreaterThan(0);
    expect(digests.hashed.here + digests.hashed.onWorkers).toBe(contents.length);
  });

  it("throws a worker's read error as the planning thread would, the first in plan order", async () => {
    const [first, second] = files('swapped', 2, 100);
    if (!first || !second) throw new Error('no files');
    // A content whose inode is not the file's: the file was swapped after the plan saw it.
    const swapped = (path: string) => contentOf(path, lstatSync(path).ino + 1);
    const { digests } = queue(files('more', 6, POOL_BYTES / 2), [swapped(first), swapped(second)]);
    await sleep(2000);
    const failure = await digests.settle().then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({
      name: 'MkjailError',
      exitCode: 3,
      message: `Can't copy host file at ${first}: it changed while the jail was being built`,
      hint: 'build again once the host is quiet (a package upgrade may be running)',
    });
    if (workers >= 1) expect(digests.hashed.onWorkers).toBeGreaterThan(0);
  });
});

// A process that may start no more threads (a pids limit, RLIMIT_NPROC): the plan hashes on its own
// thread instead of failing. Run as an unprivileged user of its own, as the limit does not bind root,
// and through `node -e`, whose options (`--input-type`) a worker would refuse were they passed on.
const limitsOk = prerequisites({ root: true, commands: ['setpriv', 'prlimit'], packages: 'util-linux', othersCanRead: ['dist/plan/host-digests.js'] });
describe.skipIf(!limitsOk || workers < 1)('host file digests where no thread can be started', () => {
  const LIMITED_UID = '64989';
  const child = `
    import { execFileSync } from 'node:child_process';
    import { lstatSync, readdirSync } from 'node:fs';
    const [moduleUrl, limit, ...paths] = process.argv.slice(1);
    const { HostDigests } = await import(moduleUrl);
    // No thread or process more than this one has now.
    if (limit === 'limit') execFileSync('prlimit', ['--pid', String(process.pid), '--nproc=' + readdirSync('/proc/self/task').length]);
    const digests = new HostDigests();
    const contents = paths.map((path) => {
      const stats = lstatSync(path);
      const content = { kind: 'host', path, dev: stats.dev, ino: stats.ino, uid: stats.uid, gid: stats.gid };
      digests.lookup(content, stats);
      return content;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const digestOf = await digests.settle();
    console.log(JSON.stringify({ hashed: digests.hashed, sha256: contents.map((content) => digestOf(content).sha256) }));
  `;

  async function hashAsLimitedUser(limit: 'limit' | 'no-limit', paths: string[]) {
    const moduleUrl = pathToFileURL(join(REPO_ROOT, 'dist/plan/host-digests.js')).href;
    const args = [`--reuid=${LIMITED_UID}`, `--regid=${LIMITED_UID}`, '--clear-groups', process.execPath, '--input-type=module', '-e', child, moduleUrl, limit, ...paths];
    const { stdout } = await execa('setpriv', args, { cwd: '/' });
    return JSON.parse(stdout) as { hashed: { here: number; onWorkers: number }; sha256: string[] };
  }

  it('hashes every file on the planning thread, with the same digests', async () => {
    chmodSync(scratch, 0o755);
    const paths = files('limited', 3, POOL_BYTES / 2);
    // Without the limit, this user's plan hands the files to workers: the limit is what differs.
    const free = await hashAsLimitedUser('no-limit', paths);
    expect(free.hashed.onWorkers).toBeGreaterThan(0);
    const limited = await hashAsLimitedUser('limit', paths);
    expect(limited).toEqual({ hashed: { here: paths.length, onWorkers: 0 }, sha256: paths.map(sha256) });
  });
});
