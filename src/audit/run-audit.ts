// Audits one jail: reads it once (lstat only), runs every rule, applies --allow, sorts the findings.
import { readManifest } from '../plan/manifest.js';
import { AUDIT_FORMAT, type AuditReport, type Finding } from './finding.js';
import { readJailView } from './jail-view.js';
import { type Allowance, allowanceKey } from './parse-allow.js';
import { AUDIT_RULES } from './rules/index.js';
import { DEFAULT_FAIL_ON, meetsThreshold, type Severity, severityRank } from './severity.js';

export interface AuditOptions {
  /** Host path of a manifest to re-validate and check against. */
  manifestFile?: string | undefined;
  /** DIR when the jail is mkjail's output DIR/root: its launcher, perms.sh and unit are checked too. */
  outputDir?: string | undefined;
  allow?: readonly Allowance[];
  failOn?: Severity;
}

export async function auditJail(root: string, options: AuditOptions = {}): Promise<AuditReport> {
  const manifest = options.manifestFile === undefined ? undefined : readManifest(options.manifestFile);
  const jail = readJailView(root, { manifest, manifestFile: options.manifestFile, outputDir: options.outputDir });
  const failOn = options.failOn ?? DEFAULT_FAIL_ON;
  const declared = manifest?.allow ?? [];
  const allowed = new Set([...(options.allow ?? []), ...declared].map(allowanceKey));
  const findings: Finding[] = [];
  for (const rule of AUDIT_RULES) {
    for (const hit of await rule.check(jail)) {
      findings.push({ rule: rule.id, severity: hit.severity ?? rule.severity, path: hit.path, found: hit.found, why: rule.why, fix: hit.fix ?? rule.fix });
    }
  }
  const kept = findings.filter((f) => !allowed.has(allowanceKey(f))).sort(compareFindings);
  const matched = new Set(findings.map(allowanceKey).filter((key) => allowed.has(key)));
  return {
    format: AUDIT_FORMAT,
    root,
    manifest: options.manifestFile ?? null,
    failOn,
    entries: jail.entries.length,
    allowed: [...matched].sort(),
    declared,
    unmatchedAllow: [...allowed].filter((key) => !matched.has(key)).sort(),
    findings: kept,
    failed: kept.some((f) => meetsThreshold(f.severity, failOn)),
  };
}

/** Worst first, then by rule id, then by path: a stable order for people and for diffs. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    (a.found < b.found ? -1 : a.found > b.found ? 1 : 0)
  );
}
