// Severities of audit findings: a closed, ordered set, and the threshold test behind `--fail-on`.

/** From worst to least bad; the order is the sort order of a report. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** `--fail-on` when none is given: every finding fails the audit, so a clean jail is the only exit 0. */
export const DEFAULT_FAIL_ON: Severity = 'low';

/** 0 for critical, 3 for low: smaller is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is at or above `threshold` (critical is above high). */
export function meetsThreshold(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
