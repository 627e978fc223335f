// `mkjail why DIR PATH`: why PATH is in the jail DIR/root, read from DIR/manifest.json alone: the chain
// of reasons from the entry back to the recipe field that brought it in.
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { readManifest } from '../../plan/manifest.js';
import { outputLayout } from '../../plan/output-layout.js';
import { type WhyAnswer, whyInJail } from '../../plan/why-chain.js';
import type { Command } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail why DIR PATH [--json]

Says why PATH (a path inside the jail, such as /usr/lib/x86_64-linux-gnu/libicudata.so.72) is in the
jail DIR/root, from DIR/manifest.json: each reason the entry has, followed back to what asked for it
(the library that needs it, the program it is the interpreter of, the symlink it is the target of,
the config file that names it) and on to the recipe field. A path through one of the jail's own
symlinks (/lib -> usr/lib) is followed to the entry it names. Nothing in the jail is read.

Options:
  --json      print { "asked", "path", "chains": [[{ "path", "because" }, ...], ...] }
  -h, --help  this text

Exit codes:
  0  PATH is in the jail; its chains are printed
  1  PATH is not in the jail
  2  bad arguments, or DIR has no valid manifest

Example:
  mkjail why /srv/jail/bind /usr/lib/x86_64-linux-gnu/libicudata.so.72
  /usr/lib/x86_64-linux-gnu/libicudata.so.72
    <- libicudata.so.72 needed by /lib/x86_64-linux-gnu/libicuuc.so.72 via ld.so.cache
    <- libicuuc.so.72 needed by /lib/x86_64-linux-gnu/libxml2.so.2 via ld.so.cache
    <- libxml2.so.2 needed by /usr/sbin/named via ld.so.cache
    <- recipe field binaries.0 (a binary)
`;

export const whyCommand: Command = {
  name: 'why',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('why', () =>
      parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true }),
    );
    const [dir, path, ...rest] = positionals;
    if (dir === undefined || path === undefined || rest.length > 0) {
      throw new MkjailError(`bad arguments: expected DIR and PATH, got ${positionals.length} argument(s)`, { exitCode: EXIT.badInput, hint: "run 'mkjail why --help'" });
    }
    if (!path.startsWith('/')) throw new MkjailError(`bad arguments: PATH ${path} is not absolute`, { exitCode: EXIT.badInput, hint: 'give the path as it is inside the jail, starting with /' });
    const manifest = readManifest(outputLayout(dir).manifest);
    const answer = whyInJail(manifest, path);
    if (!answer) {
      if (values.json) io.stdout.write(`${JSON.stringify({ asked: path, path: null, chains: [] }, null, 2)}\n`);
      else io.stderr.write(`mkjail why: ${path} is not in the jail ${dir} (its manifest has no such entry)\n`);
      return EXIT.findings;
    }
    io.stdout.write(values.json ? `${JSON.stringify(answer, null, 2)}\n` : renderWhy(answer));
    return EXIT.ok;
  },
};

/** Each chain: the path, then one indented `<- because` line per step; chains apart by a blank line. */
export function renderWhy(answer: WhyAnswer): string {
  const chains = answer.chains.map((chain) => {
    const lines = [answer.path === answer.asked ? answer.path : `${answer.asked} (${answer.path} in the jail)`];
    for (const step of chain) lines.push(`  <- ${step.because}`);
    return `${lines.join('\n')}\n`;
  });
  return chains.join('\n');
}
