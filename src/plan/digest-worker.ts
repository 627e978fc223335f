// A thread that hashes host files for the plan (host-digests.ts). Each message hands it a batch of
// planned host files; it takes each one the planning thread has not taken for itself (a slot in the
// shared claims), and answers with the digest, or with the error reading it gave, as the planning
// thread would have thrown it.
import { parentPort } from 'node:worker_threads';
import { CLAIMED_BY_WORKER, type DigestAnswer, type DigestBatch, type DigestJob, errorRecord } from './digest-protocol.js';
import { digestHostFile } from './host-read.js';

function answer(job: DigestJob): DigestAnswer {
  try {
    return { seq: job.seq, digest: digestHostFile(job.content) };
  } catch (error) {
    return { seq: job.seq, error: errorRecord(error) };
  }
}

const port = parentPort;
port?.on('message', ({ claims, jobs }: DigestBatch) => {
  for (const job of jobs) {
    if (Atomics.compareExchange(claims, job.slot, 0, CLAIMED_BY_WORKER) === 0) port.postMessage(answer(job));
  }
});
