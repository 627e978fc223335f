// `mkjail verify DIR`: check a built jail (DIR/root) against its manifest (DIR/manifest.json).
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, MkjailError, errnoCode } from '../../errors.js';
import { readManifest } from '../../plan/manifest.js';
import { DRIFT_KINDS, formatDrift, printable, type Drift } from '../../verify/drift.js';
import { verifyJail } from '../../verify/verify-jail.js';
import type { Command, CommandIO } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail verify DIR [--json]

Checks the jail DIR/root against DIR/manifest.json (re-validated first, never trusted). Reports every
entry that is missing, extra, or changed (type, content, mode, owner, link target, device numbers),
and every ELF file whose interpreter or libraries can't be found inside the jail (a static load
check: nothing is run). Paths below the manifest's writable directories are service data, not extra.
Symlinks inside the jail are never followed. Run it as root: the jail's files are root-only.

Options:
  --json    print {"ok": true|false, "findings": [{"kind", "path", "expected", "found"}]} and nothing else

Exit codes:
  0   the jail matches its manifest and every ELF loads inside it
  1   findings (one line each: "mode    /etc/passwd: expected 0444, found 0644")
  2   DIR, DIR/root or DIR/manifest.json is missing, or the manifest is invalid
  3   a file of the jail can't be read (run as root)

Example:
  mkjail verify /srv/jails/named && echo clean
`;

export const verifyCommand: Command = {
  name: 'verify',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('verify', () =>
      parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true }),
    );
    const dir = singleDirectory(positionals);
    const root = join(dir, 'root');
    requireDirectory(dir, 'jail directory', 'pass the directory `mkjail build` wrote (it holds root/ and manifest.json)');
    const manifest = readManifest(join(dir, 'manifest.json'));
    requireDirectory(root, 'jail root', 'rebuild the jail with `mkjail build`');
    const findings = verifyJail(root, manifest);
    if (values.json) io.stdout.write(`${JSON.stringify({ ok: findings.length === 0, findings }, null, 2)}\n`);
    else writeReport(io, dir, manifest.entries.length, findings);
    return findings.length === 0 ? EXIT.ok : EXIT.findings;
  },
};

function singleDirectory(positionals: string[]): string {
  const [dir, ...rest] = positionals;
  if (dir === undefined || rest.length > 0) {
    throw new MkjailError(`bad arguments: expected one DIR, got ${positionals.length}`, { hint: "run 'mkjail verify --help'" });
  }
  return dir;
}

function requireDirectory(path: string, what: string, hint: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = lstatSync(path).isDirectory();
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EACCES') {
      throw new MkjailError(`Can't verify ${what} at ${path}: permission denied`, { exitCode: EXIT.environment, hint: 'run as root' });
    }
    throw new MkjailError(`Can't verify ${what} at ${path}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : String(error)}`, { hint });
  }
  if (!isDirectory) throw new MkjailError(`Can't verify ${what} at ${path}: not a directory (symlinks are not followed)`, { hint });
}

function writeReport(io: CommandIO, dir: string, entryCount: number, findings: Drift[]): void {
  for (const finding of findings) io.stdout.write(`${formatDrift(finding)}\n`);
  if (findings.length === 0) {
    io.stdout.write(`ok: ${printable(dir)} matches its manifest (${entryCount} entries) and every ELF file loads inside it\n`);
    return;
  }
  const counts = DRIFT_KINDS.map((kind) => [kind, findings.filter((f) => f.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  const noun = findings.length === 1 ? 'finding' : 'findings';
  io.stdout.write(`${findings.length} ${noun} in ${printable(dir)}: ${counts.join(', ')}\n`);
}
