// What the planning thread and its digest workers (digest-worker.ts) say to each other: batches of
// host files to hash, who took each one, and the answers.
import { EXIT, type ExitCode, MkjailError, isMkjailError } from '../errors.js';
import type { HostContent, HostDigest } from './host-read.js';

export interface DigestJob {
  /** Names the answer. */
  seq: number;
  /** The job's place in the batch's claims: 0 while no thread has taken it. */
  slot: number;
  content: HostContent;
}

export interface DigestBatch {
  claims: Int32Array;
  jobs: DigestJob[];
}

/** Who took a job, in its slot of the claims. */
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_PLANNER = 2;

/** An error as it crosses between threads: enough to throw the same one on the other side. */
export interface ErrorRecord {
  message: string;
  hint: string | undefined;
  exitCode: ExitCode;
  /** Set for a bug, to report it as one; undefined for a MkjailError. */
  stack: string | undefined;
}

export type DigestAnswer = { seq: number; digest: HostDigest } | { seq: number; error: ErrorRecord };

/** The record of a thrown error, to send. */
export function errorRecord(error: unknown): ErrorRecord {
  if (isMkjailError(error)) return { message: error.message, hint: error.hint, exitCode: error.exitCode, stack: undefined };
  const message = error instanceof Error ? error.message : String(error);
  // A bug keeps a stack on the other side, so it is reported as one.
  const stack = (error instanceof Error ? error.stack : undefined) ?? `Error: ${message}`;
  return { message, hint: undefined, exitCode: EXIT.internal, stack };
}

/** The error a record stands for, to throw: the same MkjailError, or a bug with its stack. */
export function errorFrom(record: ErrorRecord): Error {
  if (record.stack === undefined) return new MkjailError(record.message, { exitCode: record.exitCode, ...(record.hint === undefined ? {} : { hint: record.hint }) });
  const error = new Error(record.message);
  error.stack = record.stack;
  return error;
}
