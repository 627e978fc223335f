// The human-readable audit report: one block per finding (severity, rule, path, what), then the risk
// and the fix, then a one-line summary that says why the exit code is what it is.
import type { AuditReport } from './finding.js';
import { allowanceKey } from './parse-allow.js';
import { SEVERITIES } from './severity.js';
import { printable } from '../verify/drift.js';

export function formatReport(report: AuditReport): string {
  const lines = [`mkjail audit of ${report.root} (${report.manifest ? `manifest ${report.manifest}` : 'no manifest'})`];
  for (const f of report.findings) {
    // Paths may hold newlines or escapes: printed as JSON escapes, so one finding stays one line.
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.rule} ${printable(f.path)}: ${printable(f.found)}`, `         risk: ${f.why}`, `         fix: ${f.fix}`);
  }
  const why = new Map(report.declared.map((d) => [allowanceKey(d), d.why]));
  for (const key of report.allowed) lines.push(`allowed  ${key} (${why.has(key) ? `recipe: ${why.get(key)}` : '--allow'})`);
  for (const key of report.unmatchedAllow) {
    lines.push(why.has(key) ? `unused   recipe allow ${key} matched no finding: remove it from the recipe` : `unused   --allow ${key} matched no finding: remove it`);
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function summaryLine(report: AuditReport): string {
  if (report.findings.length === 0) return `clean: ${report.entries} entries, no findings`;
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const verdict = report.failed ? `failed: at or above --fail-on ${report.failOn}` : `passed: all below --fail-on ${report.failOn}`;
  return `${report.findings.length} finding(s) in ${report.entries} entries (${counts}); ${verdict}`;
}
