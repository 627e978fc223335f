// The `.note.dlopen` reader on real files: a note objcopy adds (a section outside every segment) is
// read from a program and a library, with defaults; a malformed note is one clean error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElfFile } from '../../src/elf/read-elf.js';
import { isMkjailError } from '../../src/errors.js';
import { addDlopenNote } from '../helpers/dlopen-note.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ commands: ['gcc', 'objcopy'], packages: 'gcc binutils' });

describe.skipIf(!ok)('reading .note.dlopen', () => {
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('dlopen-note'));
    gcc(dir, ['-o', 'prog', 'plain.c']);
    sharedLibrary(dir, 'liba.so.1', 'liba.c');
  });
  afterAll(() => cleanup());

  it('has no entries without a note', () => {
    expect(readElfFile(`${dir}/prog`).dlopen).toEqual([]);
  });

  it('reads every entry of a program, priority recommended when the note names none', () => {
    gcc(dir, ['-o', 'noted', 'plain.c']);
    addDlopenNote(`${dir}/noted`, [
      { soname: ['libz.so.1'], priority: 'required', feature: 'zlib', description: 'compression' },
      { soname: ['libzstd.so.1', 'libzstd.so.0'] },
    ]);
    expect(readElfFile(`${dir}/noted`).dlopen).toEqual([
      { sonames: ['libz.so.1'], priority: 'required', feature: 'zlib', description: 'compression' },
      { sonames: ['libzstd.so.1', 'libzstd.so.0'], priority: 'recommended' },
    ]);
  });

  it('reads the note of a shared library', () => {
    addDlopenNote(`${dir}/liba.so.1`, [{ soname: ['libplugin.so'], priority: 'suggested' }]);
    expect(readElfFile(`${dir}/liba.so.1`).dlopen).toEqual([{ sonames: ['libplugin.so'], priority: 'suggested' }]);
  });

  it.each([
    ['not JSON', '[{', '.note.dlopen is not JSON'],
    ['not an array', '{"soname":["a"]}', '.note.dlopen is not a JSON array'],
    ['no soname', '[{"feature":"x"}]', '.note.dlopen entry 0: soname must be a non-empty array of library names'],
    ['a bad priority', '[{"soname":["a"],"priority":"maybe"}]', '.note.dlopen entry 0: priority must be one of required, recommended, suggested'],
  ])('refuses a note that is %s, in one line naming the file', (_what, json, words) => {
    const file = `${dir}/bad-${json.length}`;
    gcc(dir, ['-o', file, 'plain.c']);
    addDlopenNote(file, json);
    let caught: unknown;
    try {
      readElfFile(file);
    } catch (error) {
      caught = error;
    }
    expect(isMkjailError(caught) && { message: caught.message, exitCode: caught.exitCode }).toEqual({
      message: `Can't read ELF file at ${file}: ${words}`,
      exitCode: 2,
    });
  });
});
