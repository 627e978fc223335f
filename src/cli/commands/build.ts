// `mkjail build`: build a jail from a recipe. (Placeholder until implemented.)
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'build a jail from a recipe',
  help: 'Usage: mkjail build ...\n',
  async run() {
    throw new MkjailError('not implemented yet', { exitCode: EXIT.internal });
  },
};
