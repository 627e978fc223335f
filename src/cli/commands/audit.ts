// `mkjail audit`: audit a jail against the jail rules and known escape vectors. (Placeholder until implemented.)
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'audit a jail against the jail rules and known escape vectors',
  help: 'Usage: mkjail audit ...\n',
  async run() {
    throw new MkjailError('not implemented yet', { exitCode: EXIT.internal });
  },
};
