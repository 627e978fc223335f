// A build that returned must survive a power loss, not only a killed process: a new DIR is fsynced into
// its parent; before each rename into place (the tree swap, the tar, the manifest and scripts) the file
// system holding the new files is flushed (syncfs), and the directory of the new name is fsynced after
// it. Seen with strace, in order.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['strace', 'getent', 'perl'], packages: 'strace' });

/**
 * The build's syncfs, renames and directory fsyncs, in order, with DIR written as "DIR": a rename
 * exchanging two names (renameat2 RENAME_EXCHANGE) as "exchange", any other (rename, renameat, renameat2
 * without flags, as the C library of each architecture makes it) as "rename".
 */
async function traceBuild(dir: string, args: string[]): Promise<string[]> {
  const log = join(dir, '..', 'strace.txt');
  const strace = ['-f', '-y', '-qq', '-o', log, '-e', 'trace=syncfs,fsync,rename,renameat,renameat2'];
  const result = await execa('strace', [...strace, process.execPath, MKJAIL_BIN, 'build', join(REPO_ROOT, 'recipes/id.ts'), '--out', dir, ...args], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  const at = '(?:AT_FDCWD(?:<[^>]*>)?, )?';
  const renamed = new RegExp(`^\\d+\\s+rename(?:at2?)?\\(${at}"[^"]*", ${at}"([^"]*)"(?:, (0|RENAME_EXCHANGE))?\\)\\s+= 0$`);
  const events = readFileSync(log, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const call = /^\d+\s+(syncfs|fsync)\(\d+<([^>]*)>\)\s+= 0$/.exec(line);
      if (call) return [`${call[1]} ${call[2]}`];
      const rename = renamed.exec(line);
      return rename ? [`${rename[2] === 'RENAME_EXCHANGE' ? 'exchange' : 'rename'} ${rename[1]}`] : [];
    });
  const state = process.env.MKJAIL_STATE_DIR ?? '/var/lib/mkjail';
  return events.map((event) => event.replaceAll(dir, 'DIR').replace(new RegExp(`^rename ${state}/jails/[0-9a-f]{32}\\.json$`), 'rename STATE/jails/ENTRY.json'));
}

const ARTIFACTS = ['DIR/manifest.json', 'DIR/perms.sh', 'DIR/launch', 'DIR/id.service'].map((path) => `rename ${path}`);

describe.skipIf(!ok)('the renames of mkjail build', () => {
  const scratch = ok ? makeScratch('durable-') : '';
  afterAll(() => scratch && removeScratch(scratch));

  it('fsync the parent of a new DIR, then flush the file system once first and fsync DIR after, for the first tree, an exchanged tree and the scripts', async () => {
    const dir = join(scratch, 'tree');
    const first = await traceBuild(dir, []);
    writeFileSync(join(dir, 'root', 'etc', 'passwd'), 'changed\n');
    const second = await traceBuild(dir, []);
    expect({ first, second }).toEqual({
      // One flush for the tree and the scripts, staged side by side before either is renamed; last, the
      // host's list of built jails learns of DIR (a pointer to it, not part of the jail).
      first: [`fsync ${scratch}`, 'syncfs DIR', 'rename DIR/root', 'fsync DIR', ...ARTIFACTS, 'fsync DIR', 'rename STATE/jails/ENTRY.json'],
      second: ['syncfs DIR', 'exchange DIR/root', 'fsync DIR'],
    });
  });

  it('flush the file system first and fsync the tar directory after, for a tar', async () => {
    const dir = join(scratch, 'tar');
    const tar = join(scratch, 'id.tar');
    const events = await traceBuild(dir, ['--tar', tar]);
    expect(events.map((event) => event.replaceAll(scratch, 'SCRATCH'))).toEqual([
      'fsync SCRATCH',
      'syncfs SCRATCH',
      'rename SCRATCH/id.tar',
      'fsync SCRATCH',
      'syncfs DIR',
      ...ARTIFACTS,
      'fsync DIR',
    ]);
  });
});
