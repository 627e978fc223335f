// The registry of commands, in the order `mkjail --help` lists them.
import type { Command } from '../command.js';
import { auditCommand } from './audit.js';
import { buildCommand } from './build.js';
import { depsCommand } from './deps.js';
import { runCommand } from './run.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: readonly Command[] = [buildCommand, depsCommand, verifyCommand, auditCommand, runCommand];
