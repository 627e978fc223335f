// `mkjail deps`: list the shared libraries an ELF file needs, read from ELF (never run). (Placeholder until implemented.)
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';

export const depsCommand: Command = {
  name: 'deps',
  summary: 'list the shared libraries an ELF file needs, read from ELF (never run)',
  help: 'Usage: mkjail deps ...\n',
  async run() {
    throw new MkjailError('not implemented yet', { exitCode: EXIT.internal });
  },
};
