// `mkjail deps`: the files ELF programs need to start (interpreter, libraries, symlink chains), read
// from ELF and ld.so.cache as glibc's loader would find them; nothing is run.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { resolveClosure } from '../../resolve/library-closure.js';
import { useLoaderReportCache } from '../../resolve/loader-report-cache.js';
import { renderTree } from '../../resolve/render-tree.js';
import type { Closure } from '../../resolve/types.js';
import type { Command, CommandIO } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail deps [--list | --json] [--root DIR] FILE...

Shows what each ELF FILE needs to start: its interpreter (PT_INTERP) and every shared library of its
closure, found the way glibc's loader finds them (DT_RPATH, DT_RUNPATH, /etc/ld.so.cache, default
directories, glibc-hwcaps). The files are read, never run.

Output (default): a tree per FILE; each line says how the library was found:
  rpath, runpath, ld.so.cache, default (a default directory) or slash (a name with a '/').
Libraries an object names in its .note.dlopen (ELF dlopen metadata: what it dlopen()s) are shown
with their priority: a 'required' one must be found; 'recommended' and 'suggested' ones are listed
when present and shown as optional when not.

Options:
  --list       one path per line, unique: each FILE, its interpreter, then every library, as the
               loader opens them (symlinks not resolved)
  --json       the closure for programs: objects (with symlink chains), edges (with how, and for
               a .note.dlopen library its dlopen: { priority, feature, sonames }), missing
  --root DIR   resolve as if DIR were /: every path, symlink, cache and conf file is read inside DIR
  -h, --help   this text

Exit codes:
  0  every interpreter and library was found
  1  something is missing (a DT_NEEDED library, or a 'required' .note.dlopen one): each
     'missing SONAME (needed by FILE)' is printed on stderr, and the rest of the closure is still printed
  2  bad input: a FILE (or a library) is missing, not ELF, truncated or corrupt; bad arguments

Examples:
  mkjail deps /usr/sbin/named
  mkjail deps --list /usr/bin/dig /usr/sbin/named
  mkjail deps --json --root /srv/debian-rootfs /usr/bin/ls
`;

type OutputFormat = 'tree' | 'list' | 'json';

export const depsCommand: Command = {
  name: 'deps',
  help: HELP,
  async run(args: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = withUsageErrors('deps', () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: { list: { type: 'boolean' }, json: { type: 'boolean' }, root: { type: 'string' } },
      }),
    );
    if (positionals.length === 0) throw usage('no FILE given');
    if (values.list && values.json) throw usage('--list and --json exclude each other');
    const format: OutputFormat = values.list ? 'list' : values.json ? 'json' : 'tree';
    const root = values.root === undefined ? '/' : checkRoot(resolve(io.cwd, values.root));
    const files = positionals.map((file) => (root === '/' && !isAbsolute(file) ? `${io.cwd}/${file}` : file));
    useLoaderReportCache(true);
    const closure = resolveClosure(files, { root });
    io.stdout.write(render(format, closure, files, root));
    for (const missing of closure.missing) {
      const how = missing.dlopen ? `required by the .note.dlopen of ${missing.neededBy}` : `needed by ${missing.neededBy}`;
      io.stderr.write(`mkjail deps: missing ${missing.soname} (${how})\n`);
    }
    return closure.missing.length === 0 ? EXIT.ok : EXIT.findings;
  },
};

function render(format: OutputFormat, closure: Closure, files: string[], root: string): string {
  switch (format) {
    case 'list':
      return closure.objects.map((object) => `${object.path}\n`).join('');
    case 'json':
      return `${JSON.stringify(toJson(closure, root), null, 2)}\n`;
    case 'tree':
      return files.map((file) => renderTree(resolveClosure([file], { root }))).join('');
  }
}

function toJson(closure: Closure, root: string): object {
  return {
    root,
    objects: closure.objects,
    edges: closure.edges.map((edge) => ({ ...edge, path: edge.path ?? null, via: edge.via ?? null })),
    missing: closure.missing,
  };
}

function checkRoot(root: string): string {
  const stats = statSync(root, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) {
    throw new MkjailError(`Can't use root directory at ${root}: ${stats ? 'not a directory' : 'no such directory'}`, {
      exitCode: EXIT.badInput,
      hint: 'pass --root a directory that holds a system tree (usr/, etc/, lib/)',
    });
  }
  return root;
}

function usage(what: string): MkjailError {
  return new MkjailError(`bad arguments: ${what}`, { exitCode: EXIT.badInput, hint: "run 'mkjail deps --help'" });
}
