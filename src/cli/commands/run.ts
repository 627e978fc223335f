// `mkjail run`: start the service of a built jail through its launcher. (Placeholder until implemented.)
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'start the service of a built jail through its launcher',
  help: 'Usage: mkjail run ...\n',
  async run() {
    throw new MkjailError('not implemented yet', { exitCode: EXIT.internal });
  },
};
