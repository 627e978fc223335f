// `mkjail audit`: audit a jail (ours or anyone's) against the jail rules and known escape vectors.
import { parseArgs } from 'node:util';
import { auditJail } from '../../audit/run-audit.js';
import { findTarget } from '../../audit/find-target.js';
import { formatReport } from '../../audit/format-report.js';
import { parseAllow } from '../../audit/parse-allow.js';
import { AUDIT_RULES } from '../../audit/rules/index.js';
import { DEFAULT_FAIL_ON, isSeverity, SEVERITIES } from '../../audit/severity.js';
import { EXIT, MkjailError } from '../../errors.js';
import type { Command } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail audit DIR_OR_ROOT [--json] [--manifest FILE] [--allow RULE:PATH ...] [--fail-on SEVERITY]

Audits a jail against every rule below, with or without a manifest. DIR_OR_ROOT is a directory built
by 'mkjail build' (it holds manifest.json and root/: root/ is audited against that manifest) or any
jail root (audited without a manifest unless --manifest is given). Symlinks in the jail are never
followed. Run as root: the audit reads every file.

Options:
  --json              print the report as JSON (format mkjail-audit/1)
  --manifest FILE     check against this manifest (re-validated; enables the drift rule and lets
                      declared writable paths be owned by the service user)
  --allow RULE:PATH   suppress one rule at one exact path as a finding shows it (no globs); repeatable.
                      A manifest's own allow list (the recipe's allow: [{ rule, path, why }]) counts
                      the same, each printed with its why
  --fail-on SEVERITY  exit 1 when a finding is at or above it: ${SEVERITIES.join(', ')} (default ${DEFAULT_FAIL_ON}:
                      any finding fails)

Rules:
${AUDIT_RULES.map((r) => `  ${r.id.padEnd(24)} ${r.severity.padEnd(8)} ${r.checks}`).join('\n')}

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad input (usage, manifest, not a
directory), 3 environment (getcap missing, unreadable entries).

Example:
  mkjail audit /srv/jails/named            # DIR with manifest.json and root/
  mkjail audit --json /var/jail --allow dev-dir-mode:/dev
`;

export const auditCommand: Command = {
  name: 'audit',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('audit', () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false },
          manifest: { type: 'string' },
          allow: { type: 'string', multiple: true, default: [] },
          'fail-on': { type: 'string', default: DEFAULT_FAIL_ON },
        },
      }),
    );
    if (positionals.length !== 1) {
      throw new MkjailError(`bad arguments: expected one DIR_OR_ROOT, got ${positionals.length}`, {
        exitCode: EXIT.badInput,
        hint: "run 'mkjail audit --help'",
      });
    }
    const failOn = values['fail-on'];
    if (!isSeverity(failOn)) {
      throw new MkjailError(`bad arguments: --fail-on ${failOn} is not a severity`, {
        exitCode: EXIT.badInput,
        hint: `use one of ${SEVERITIES.join(', ')}`,
      });
    }
    const allow = values.allow.map(parseAllow);
    const target = findTarget(positionals[0] as string, io.cwd, values.manifest);
    const report = await auditJail(target.root, { manifestFile: target.manifestFile, outputDir: target.outputDir, allow, failOn });
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.failed ? EXIT.findings : EXIT.ok;
  },
};
