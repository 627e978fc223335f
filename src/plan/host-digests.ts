// The sha256 of every host file a plan copies. When there are many bytes (200 programs and their
// libraries are ~200 MB), worker threads read and hash them while the planning thread goes on
// resolving, and the planning thread takes what is left once it is done, from the last file planned
// backwards. When there are few (a self-chrooting daemon's configs), the planning thread hashes them
// alone: a worker takes tens of milliseconds to start. A file hashed once is not hashed again by this
// process while its stamp stays the same.
import { existsSync, statSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { CLAIMED_BY_PLANNER, type DigestAnswer, type DigestJob, errorFrom } from './digest-protocol.js';
import { type HostContent, type HostDigest, digestHostFile, stampOf } from './host-read.js';

/**
 * What each host file hashed to, by host path, for this process: a file brought in by many binaries
 * (libc) or many jails is read and hashed once, as long as its stamp stays the same.
 */
const known = new Map<string, HostDigest>();
/** How many digests were hashed (not looked up) since the last `takeLearned`. */
let learned = 0;

/** Adds digests this process may trust as it trusts its own (kept by root: digest-cache.ts). */
export function knowDigests(entries: Iterable<[string, HostDigest]>): void {
  for (const [path, digest] of entries) if (!known.has(path)) known.set(path, digest);
}

/** Every digest this process knows, least recently hashed or used first. */
export function knownDigests(): IterableIterator<[string, HostDigest]> {
  return known.entries();
}

/** How many digests were hashed since the last call. */
export function takeLearned(): number {
  const count = learned;
  learned = 0;
  return count;
}

/** Bytes waiting to be hashed before the workers are started: below this, a thread costs more than it saves. */
export const POOL_BYTES = 4 * 2 ** 20;

/** Once the workers run, files go to them in batches of about this many bytes (a message costs too). */
const BATCH_BYTES = 2 ** 20;

/** The files of one plan the workers may take (a slot each in the plan's claims); any more are hashed here. */
const SHARED_JOBS = 2 ** 14;

/** The workers' script: beside this module in tsc's output and in the bundle; run from source, there is none. */
const WORKER_SCRIPT = new URL('./digest-worker.js', import.meta.url);

/**
 * Starts the workers now when hashing `files` (host paths) alone will take them: a worker takes tens
 * of milliseconds to start, so it starts while the plan is still reading the host.
 */
export function expectToHash(files: string[]): void {
  if (pool !== undefined) return;
  let bytes = 0;
  for (const file of files) bytes += bytesToHash(file);
  if (bytes >= POOL_BYTES) digestPool();
}

/** The size of `file`, or 0 when it is gone or its digest is known for it as it is now. */
function bytesToHash(file: string): number {
  try {
    const stats = statSync(file);
    return knownAsItIs(file, stats) ? 0 : stats.size;
  } catch {
    return 0;
  }
}

/** One host file to hash: the first content planned with its path, device and inode. */
interface Job {
  content: HostContent;
  /** Its size when planned, to share the bytes out evenly. */
  size: number;
  /** Once handed to the workers: its slot in the plan's claims, and the answer a worker owes. */
  shared?: { slot: number; seq: number; answer: Promise<HostDigest> };
  digest?: HostDigest;
  /** What hashing it on this thread threw. */
  failure?: unknown;
}

/** The host-file digests of one plan. */
export class HostDigests {
  private readonly jobs = new Map<string, Job>();
  /** Jobs no worker was given yet, and their bytes. */
  private waiting: Job[] = [];
  private waitingBytes = 0;
  /** Who took each shared job (digest-protocol.ts), once files go to the workers. */
  private claims: Int32Array | undefined;
  private slots = 0;
  /** How many files were hashed on this thread and on the workers. */
  readonly hashed = { here: 0, onWorkers: 0 };

  /**
   * The digest of `content` (lstat `stats`) if this process knows it for the file as it is now;
   * otherwise undefined, and the file is queued for `settle`.
   */
  lookup(content: HostContent, stats: Stats): HostDigest | undefined {
    const cached = knownAsItIs(content.path, stats);
    if (cached) return keepKnown(content.path, cached);
    const key = jobKey(content);
    const queued = this.jobs.get(key);
    if (queued) return queued.digest;
    const job: Job = { content, size: stats.size };
    this.jobs.set(key, job);
    this.waiting.push(job);
    this.waitingBytes += stats.size;
    if (this.waitingBytes >= (this.claims ? BATCH_BYTES : POOL_BYTES)) this.handOut();
    return undefined;
  }

  /** The digest of `content` now, hashed on this thread unless it is known already. */
  now(content: HostContent): HostDigest {
    const job = this.jobs.get(jobKey(content));
    if (job?.digest) return job.digest;
    if (job) this.takeHere(job);
    this.hashed.here++;
    const digest = remember(content, digestHostFile(content));
    if (job) job.digest = digest;
    return digest;
  }

  /**
   * Waits for every queued digest, hashing here what no worker has started on; returns the digest of
   * a queued content. Throws the first failure in the order the files were planned.
   */
  async settle(): Promise<(content: HostContent) => HostDigest> {
    if (this.claims) this.handOut();
    const jobs = [...this.jobs.values()];
    for (const job of [...jobs].reverse()) if (!job.digest && this.takeHere(job)) this.hashHere(job);
    for (const job of jobs) {
      if (job.failure !== undefined) throw job.failure;
      if (job.digest || !job.shared) continue;
      job.digest = remember(job.content, await job.shared.answer);
      this.hashed.onWorkers++;
    }
    return (content) => {
      const digest = this.jobs.get(jobKey(content))?.digest;
      if (!digest) throw new Error(`no digest was planned for ${content.path}`);
      return digest;
    };
  }

  private hashHere(job: Job): void {
    this.hashed.here++;
    try {
      job.digest = remember(job.content, digestHostFile(job.content));
    } catch (error) {
      job.failure = error;
    }
  }

  /**
   * A plan that failed: the workers skip whatever of it they have not started on, and no answer they
   * still owe for it keeps the process alive.
   */
  abandon(): void {
    for (const job of this.jobs.values()) {
      if (job.digest) continue;
      this.takeHere(job);
      if (job.shared) pool?.forget(job.shared.seq);
    }
  }

  /** True when this thread may hash `job`: no worker was given it, or none has started on it (and none will). */
  private takeHere(job: Job): boolean {
    if (!job.shared || !this.claims) return true;
    if (Atomics.compareExchange(this.claims, job.shared.slot, 0, CLAIMED_BY_PLANNER) !== 0) return false;
    pool?.forget(job.shared.seq);
    return true;
  }

  /** Gives the workers every job waiting (starting them on the first call), when there are workers. */
  private handOut(): void {
    const workers = digestPool();
    if (!workers) return;
    this.claims ??= new Int32Array(new SharedArrayBuffer(SHARED_JOBS * Int32Array.BYTES_PER_ELEMENT));
    const batch = this.waiting.filter((job) => !job.digest).slice(0, SHARED_JOBS - this.slots);
    const answers = workers.digest(this.claims, batch.map((job) => ({ slot: this.slots++, content: job.content, size: job.size })));
    batch.forEach((job, i) => {
      const shared = answers[i];
      if (shared) job.shared = shared;
    });
    this.waiting = [];
    this.waitingBytes = 0;
  }
}

function jobKey(content: HostContent): string {
  return `${content.dev}:${content.ino}:${content.path}`;
}

function remember(content: HostContent, digest: HostDigest): HostDigest {
  if (digest.stamp === undefined) return digest;
  learned++;
  return keepKnown(content.path, digest);
}

/** The digest known for the host file at `path` while its stamp is still the one of `stats`. */
function knownAsItIs(path: string, stats: Stats): HostDigest | undefined {
  const digest = known.get(path);
  return digest?.stamp !== undefined && digest.stamp === stampOf(stats) ? digest : undefined;
}

/** Sets `path`'s digest last of all, so the digests kept across runs drop the least recently used. */
function keepKnown(path: string, digest: HostDigest): HostDigest {
  known.delete(path);
  known.set(path, digest);
  return digest;
}

let pool: DigestPool | null | undefined;

/**
 * The process's digest workers, started on first use: one fewer than the processors (the planning
 * thread has one), at most 3; null where there are none to be had.
 */
function digestPool(): DigestPool | null {
  if (pool === undefined) {
    const threads = Math.min(availableParallelism() - 1, 3);
    pool = threads >= 1 && existsSync(fileURLToPath(WORKER_SCRIPT)) ? DigestPool.start(threads) : null;
  }
  return pool;
}

/** node:worker_threads, loaded when the first worker starts: a plan that hashes on its own thread never loads it. */
function workerThreads(): typeof import('node:worker_threads') {
  return createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
}

interface Owed {
  resolve: (digest: HostDigest) => void;
  reject: (error: Error) => void;
  size: number;
}

/** A digest worker with the answers it owes; it keeps the process alive only while it owes one. */
class DigestWorker {
  // Not Node's options of this process: some are refused in a worker (`--input-type`), and it needs none.
  private readonly worker = new (workerThreads().Worker)(WORKER_SCRIPT, { execArgv: [] });
  private readonly owed = new Map<number, Owed>();
  /** The bytes of the files it owes answers for. */
  owedBytes = 0;
  /** Set once its pool is dropped: it stops as soon as it owes nothing. */
  private retiring = false;

  constructor(
    onFailure: (failed: DigestWorker, error: Error) => void,
    private readonly onAnswer: (seq: number) => void,
  ) {
    this.worker.unref();
    this.worker.on('message', (answer: DigestAnswer) => this.settle(answer));
    this.worker.on('error', (error) => onFailure(this, error));
    this.worker.on('exit', (code) => {
      if (!this.retiring) onFailure(this, new Error(`a digest worker exited (code ${code}) owing ${this.owed.size} digest(s)`));
    });
  }

  ask(claims: Int32Array, jobs: { job: DigestJob; owed: Owed }[]): void {
    if (this.owed.size === 0) this.worker.ref();
    for (const { job, owed } of jobs) {
      this.owed.set(job.seq, owed);
      this.owedBytes += owed.size;
    }
    this.worker.postMessage({ claims, jobs: jobs.map(({ job }) => job) });
  }

  /** The answer for `seq` will not come: the planning thread took the file. */
  forget(seq: number): void {
    const owed = this.owed.get(seq);
    if (!owed) return;
    this.owed.delete(seq);
    this.owedBytes -= owed.size;
    if (this.owed.size === 0) this.idle();
  }

  failAll(error: Error): void {
    for (const owed of this.owed.values()) owed.reject(error);
    this.owed.clear();
    this.owedBytes = 0;
    this.idle();
  }

  /** Stops the thread once it owes nothing more (now, when it owes nothing). */
  retire(): void {
    this.retiring = true;
    if (this.owed.size === 0) this.idle();
  }

  private idle(): void {
    this.worker.unref();
    if (this.retiring) void this.worker.terminate();
  }

  private settle(answer: DigestAnswer): void {
    const owed = this.owed.get(answer.seq);
    if (!owed) return;
    this.forget(answer.seq);
    this.onAnswer(answer.seq);
    if ('digest' in answer) owed.resolve(answer.digest);
    else owed.reject(errorFrom(answer.error));
  }
}

/** Worker threads that hash host files; each batch goes to the one owing the fewest bytes. */
class DigestPool {
  private readonly owner = new Map<number, DigestWorker>();
  private nextSeq = 0;

  private constructor(private readonly workers: DigestWorker[]) {}

  /**
   * Starts `threads` workers; null when the system will not start one (a limit on threads): the
   * planning thread then hashes alone.
   */
  static start(threads: number): DigestPool | null {
    const workers: DigestWorker[] = [];
    const pool = new DigestPool(workers);
    try {
      for (let i = 0; i < threads; i++) workers.push(new DigestWorker((failed, error) => pool.fail(failed, error), (seq) => pool.owner.delete(seq)));
    } catch {
      for (const worker of workers) worker.retire();
      return null;
    }
    return pool;
  }

  /** Hands `jobs` (a slot each in `claims`) to a worker; the answers it will owe, in order. */
  digest(claims: Int32Array, jobs: { slot: number; content: HostContent; size: number }[]): { slot: number; seq: number; answer: Promise<HostDigest> }[] {
    const worker = this.workers.reduce((least, w) => (w.owedBytes < least.owedBytes ? w : least));
    const asked: { job: DigestJob; owed: Owed }[] = [];
    const shared = jobs.map(({ slot, content, size }) => {
      const seq = this.nextSeq++;
      const answer = new Promise<HostDigest>((resolve, reject) => asked.push({ job: { seq, slot, content }, owed: { resolve, reject, size } }));
      // Awaited by `settle`; a plan that fails before it must not leave a rejection no one handles.
      answer.catch(() => undefined);
      this.owner.set(seq, worker);
      return { slot, seq, answer };
    });
    if (asked.length > 0) worker.ask(claims, asked);
    return shared;
  }

  forget(seq: number): void {
    this.owner.get(seq)?.forget(seq);
    this.owner.delete(seq);
  }

  /**
   * A worker that failed (a bug): the answers it owes fail with it, the others finish what they were
   * given and stop, and later plans hash on their own thread.
   */
  private fail(failed: DigestWorker, error: Error): void {
    if (pool === this) pool = null;
    failed.failAll(error);
    for (const worker of this.workers) worker.retire();
  }
}
