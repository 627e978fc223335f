// The ELF reader on real files built with gcc: 64- and 32-bit, both byte orders, without section
// headers, and the exact clean error for each kind of damage.
import { readFileSync, writeFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DF_1_NODEFLIB, type ElfInfo, readElfFile } from '../../src/elf/read-elf.js';
import { isMkjailError } from '../../src/errors.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';
import { toBigEndian } from './helpers/swap-endian.js';

const ok = prerequisites({ commands: ['gcc'], packages: 'gcc gcc-multilib' });
const DF_1_PIE = 0x08000000;

function errorOf(action: () => unknown): { message: string; hint: string | undefined; exitCode: number } | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (!isMkjailError(error)) throw error;
    return { message: error.message, hint: error.hint, exitCode: error.exitCode };
  }
}

describe.skipIf(!ok)('readElfFile', () => {
  let dir = '';
  let cleanup = () => {};
  const program64: ElfInfo = {
    elfClass: 64,
    littleEndian: true,
    osAbi: 0,
    type: 3,
    machine: 62,
    interpreter: '/lib64/ld-linux-x86-64.so.2',
    dynamic: true,
    needed: ['liba.so.1', 'libc.so.6'],
    soname: undefined,
    rpath: undefined,
    runpath: '$ORIGIN/lib',
    flags1: DF_1_NODEFLIB | DF_1_PIE,
    dlopen: [],
  };

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('read-elf'));
    sharedLibrary(dir, 'liba.so.1', 'liba.c', ['-Wl,-soname,liba.so.1,--disable-new-dtags,-rpath,/opt/x:$ORIGIN']);
    gcc(dir, ['-o', 'prog', 'main-a.c', '-L.', '-l:liba.so.1', '-Wl,-z,nodefaultlib,-rpath,$ORIGIN/lib']);
    gcc(dir, ['-m32', '-o', 'prog32', 'plain.c', '-Wl,-rpath,$ORIGIN/lib32']);
    gcc(dir, ['-c', '-o', 'object.o', 'liba.c']);
    writeFileSync(`${dir}/text`, '#!/bin/sh\necho hi\n');
    writeFileSync(`${dir}/empty`, '');
    execaSync('mkfifo', [`${dir}/fifo`]);
  });

  afterAll(() => cleanup());

  it('reads interpreter, DT_NEEDED, DT_RUNPATH and DT_FLAGS_1 of a 64-bit program', () => {
    expect(readElfFile(`${dir}/prog`)).toEqual(program64);
  });

  it('reads DT_SONAME and DT_RPATH of a shared library, which has no interpreter', () => {
    expect(readElfFile(`${dir}/liba.so.1`)).toEqual({
      ...program64,
      type: 3,
      interpreter: undefined,
      needed: [],
      soname: 'liba.so.1',
      rpath: '/opt/x:$ORIGIN',
      runpath: undefined,
      flags1: 0,
    });
  });

  it('reads a 32-bit program', () => {
    expect(readElfFile(`${dir}/prog32`)).toEqual({
      ...program64,
      elfClass: 32,
      machine: 3,
      interpreter: '/lib/ld-linux.so.2',
      needed: ['libc.so.6'],
      runpath: '$ORIGIN/lib32',
      flags1: DF_1_PIE,
    });
  });

  it('reads big-endian files the same as their little-endian originals', () => {
    for (const name of ['prog', 'prog32', 'liba.so.1']) {
      writeFileSync(`${dir}/${name}.be`, toBigEndian(readFileSync(`${dir}/${name}`)));
      expect(readElfFile(`${dir}/${name}.be`)).toEqual({ ...readElfFile(`${dir}/${name}`), littleEndian: false });
    }
  });

  it('needs no section headers: the same result when they are gone', () => {
    const bytes = readFileSync(`${dir}/prog`);
    const shoff = Number(bytes.readBigUInt64LE(40));
    bytes.fill(0xff, shoff);
    bytes.writeBigUInt64LE(0n, 40);
    bytes.writeUInt16LE(0, 60);
    bytes.writeUInt16LE(0, 62);
    writeFileSync(`${dir}/prog.nosections`, bytes);
    expect(readElfFile(`${dir}/prog.nosections`)).toEqual(program64);
  });

  it('rejects damaged and foreign files with one clean error naming the file', () => {
    const prog = readFileSync(`${dir}/prog`);
    writeFileSync(`${dir}/short-header`, prog.subarray(0, 40));
    writeFileSync(`${dir}/short-phdrs`, prog.subarray(0, 200));
    const badClass = Buffer.from(prog);
    badClass[4] = 7;
    writeFileSync(`${dir}/bad-class`, badClass);
    const dynamicOffset = dynamicSegmentOffset(prog);
    const badStrtab = Buffer.from(prog);
    for (let at = dynamicOffset; at < dynamicOffset + 16 * 64; at += 16) {
      if (badStrtab.readBigUInt64LE(at) === 5n) badStrtab.writeBigUInt64LE(0x7fff0000n, at + 8);
    }
    writeFileSync(`${dir}/bad-strtab`, badStrtab);
    const damaged = 'the file is damaged or not what it claims to be; reinstall the package that owns it';
    const cases = ['text', 'empty', 'object.o', 'short-header', 'short-phdrs', 'bad-class', 'bad-strtab', 'nothing-here', 'fifo'];
    expect(Object.fromEntries(cases.map((name) => [name, errorOf(() => readElfFile(`${dir}/${name}`, `/x/${name}`))]))).toEqual({
      text: { message: "Can't read ELF file at /x/text: not an ELF file (no \\x7fELF magic)", hint: 'pass an ELF executable or shared library', exitCode: 2 },
      empty: { message: "Can't read ELF file at /x/empty: not an ELF file (no \\x7fELF magic)", hint: 'pass an ELF executable or shared library', exitCode: 2 },
      'object.o': { message: "Can't read ELF file at /x/object.o: not an executable or shared library (ELF type 1)", hint: 'pass an ELF executable or shared library', exitCode: 2 },
      'short-header': { message: "Can't read ELF file at /x/short-header: truncated ELF header", hint: damaged, exitCode: 2 },
      'short-phdrs': { message: "Can't read ELF file at /x/short-phdrs: truncated program headers", hint: damaged, exitCode: 2 },
      'bad-class': { message: "Can't read ELF file at /x/bad-class: unknown ELF class 7", hint: damaged, exitCode: 2 },
      'bad-strtab': { message: "Can't read ELF file at /x/bad-strtab: DT_STRTAB address 0x7fff0000 is outside every PT_LOAD segment", hint: damaged, exitCode: 2 },
      'nothing-here': { message: "Can't open ELF file at /x/nothing-here: no such file or directory", hint: 'check the path and its permissions', exitCode: 2 },
      fifo: { message: "Can't read ELF file at /x/fifo: not a regular file", hint: 'pass an ELF executable or shared library', exitCode: 2 },
    });
  });
});

/** The file offset of PT_DYNAMIC in a little-endian ELF64 file. */
function dynamicSegmentOffset(bytes: Buffer): number {
  const phoff = Number(bytes.readBigUInt64LE(32));
  for (let i = 0; i < bytes.readUInt16LE(56); i++) {
    const at = phoff + i * 56;
    if (bytes.readUInt32LE(at) === 2) return Number(bytes.readBigUInt64LE(at + 8));
  }
  throw new Error('no PT_DYNAMIC');
}
