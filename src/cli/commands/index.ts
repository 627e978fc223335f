// The registry of commands, in the order `mkjail --help` lists them. Each command's code is imported
// only when it runs, so start-up stays cheap (`mkjail deps` does not load the build's dependencies).
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** One line for `mkjail --help`. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'build',
    summary: 'build a jail from a recipe',
    load: async () => (await import('./build.js')).buildCommand,
  },
  {
    name: 'deps',
    summary: 'list the shared libraries an ELF file needs, read from ELF (never run)',
    load: async () => (await import('./deps.js')).depsCommand,
  },
  {
    name: 'verify',
    summary: 'check a built jail against its manifest',
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  {
    name: 'audit',
    summary: 'audit a jail against the jail rules and known escape vectors',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'sbom',
    summary: "list a jail's files with their hashes and owning Debian packages (SPDX or CycloneDX)",
    load: async () => (await import('./sbom.js')).sbomCommand,
  },
  {
    name: 'why',
    summary: 'say why a path is in a built jail: the chain of reasons back to the recipe',
    load: async () => (await import('./why.js')).whyCommand,
  },
  {
    name: 'trace',
    summary: 'run a command under strace and report what it opened, wrote, executed; with --recipe, what the jail lacks',
    load: async () => (await import('./trace.js')).traceCommand,
  },
  {
    name: 'init',
    summary: 'write a recipe for a binary that builds as written, from its ELF and a traced probe run',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    name: 'run',
    summary: 'start the service of a built jail through its launcher',
    load: async () => (await import('./run.js')).runCommand,
  },
];
