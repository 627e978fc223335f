// `mkjail verify`: check a built jail against its manifest. (Placeholder until implemented.)
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a built jail against its manifest',
  help: 'Usage: mkjail verify ...\n',
  async run() {
    throw new MkjailError('not implemented yet', { exitCode: EXIT.internal });
  },
};
