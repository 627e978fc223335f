// One build at a time per output directory: DIR/.mkjail-lock holds the builder's pid; a lock whose
// process is gone (a killed build) is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, MkjailError, errnoCode } from '../errors.js';

const LOCK_NAME = '.mkjail-lock';

/** Takes the lock of `dir`; returns the function that releases it. */
export function acquireBuildLock(dir: string): () => void {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new MkjailError(`Can't build into output directory at ${dir}: another build (pid ${holder}) is running there`, {
          exitCode: EXIT.environment,
          hint: `wait for it to finish (or remove ${path} if that process is not mkjail)`,
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new MkjailError(`Can't lock output directory at ${dir}: ${path} keeps coming back`, { exitCode: EXIT.environment, hint: 'run one build at a time' });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}
