// Runs a command under Debian's `strace -f` until every process of it has exited or the time is up.
// At the timeout every process strace still traces (found by its TracerPid in /proc, so a daemon that
// forked away from its parent is found too) gets SIGTERM, then SIGKILL after a grace period; strace
// itself ends when its last tracee does. Nothing is left running.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importModule } from '../dynamic-import.js';
import { EXIT, MkjailError } from '../errors.js';
import { parseStraceOutput, type SyscallRecord } from './strace-syntax.js';

/** The calls traced: every call that names a path, process creation, identity and directory changes, sockets. */
const TRACED_CALLS = 'trace=%file,%process,connect,bind,setuid,setreuid,setresuid,chdir,fchdir,chroot';

export interface TraceRun {
  records: SyscallRecord[];
  /** The command's exit code, when it exited by itself. */
  exitCode: number | undefined;
  timedOut: boolean;
}

export interface TraceOptions {
  /** Seconds before the whole tree is stopped. */
  timeoutSeconds: number;
  /** Seconds between SIGTERM and SIGKILL at the timeout. */
  graceSeconds?: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the command's standard output goes: mkjail's stdout (1) or stderr (2, to keep stdout for JSON). */
  stdoutFd: 1 | 2;
  /** Words put before the command inside strace (a chroot and identity drop for --in-jail). */
  wrapper?: string[];
}

export async function runTraced(command: string[], options: TraceOptions): Promise<TraceRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'mkjail-trace-'));
  const output = join(scratch, 'strace.out');
  try {
    const args = ['-f', '-q', '-y', '-s', '4096', '--seccomp-bpf', '-e', TRACED_CALLS, '-o', output, '--', ...(options.wrapper ?? []), ...command];
    const { execa } = await importModule<typeof import('execa')>('execa');
    let child;
    try {
      child = execa('strace', args, { cwd: options.cwd, env: options.env, extendEnv: false, stdin: 'inherit', stdout: options.stdoutFd === 1 ? 'inherit' : 2, stderr: 'inherit', reject: false });
    } catch (error) {
      throw straceMissing(error);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopTree(child.pid, options.graceSeconds ?? 3);
    }, options.timeoutSeconds * 1000);
    const result = await child;
    clearTimeout(timer);
    if (result.failed && result.exitCode === undefined && !timedOut) throw straceMissing(result);
    const records = parseStraceOutput(readText(output));
    return { records, exitCode: timedOut ? undefined : commandExit(records, result.exitCode), timedOut };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function straceMissing(error: unknown): MkjailError {
  const what = error instanceof Error ? error.message.split('\n')[0] : String((error as { shortMessage?: string }).shortMessage ?? error);
  return new MkjailError(`Can't run strace: ${what}`, { exitCode: EXIT.environment, hint: 'install it: apt-get install strace' });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** strace exits with its command's code; a command killed by a signal makes strace kill itself the same way. */
function commandExit(records: SyscallRecord[], straceExit: number | undefined): number | undefined {
  return records.length === 0 ? undefined : straceExit;
}

/** SIGTERM to every process strace traces, then SIGKILL to those still there after `graceSeconds`. */
export async function stopTree(stracePid: number | undefined, graceSeconds: number): Promise<void> {
  if (stracePid === undefined) return;
  signalAll(tracedBy(stracePid), 'SIGTERM');
  if (await waitUntilGone(stracePid, graceSeconds * 1000)) return;
  signalAll(tracedBy(stracePid), 'SIGKILL');
  if (await waitUntilGone(stracePid, 2000)) return;
  // A tracee strace no longer reports (it was killed itself): end strace too.
  signalAll([stracePid], 'SIGKILL');
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitUntilGone(stracePid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (tracedBy(stracePid).length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return tracedBy(stracePid).length === 0;
}

/** The processes whose /proc/PID/status says TracerPid: stracePid. */
export function tracedBy(stracePid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (new RegExp(`^TracerPid:\\s+${stracePid}$`, 'm').test(status)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}
