// Runs the audit on a clean jail with one planted flaw, and returns the findings (scratch removed).
import { join } from 'node:path';
import type { Finding } from '../../../src/audit/finding.js';
import { type AuditOptions, auditJail } from '../../../src/audit/run-audit.js';
import type { AuditRule } from '../../../src/audit/audit-rule.js';
import { makeScratch, plantCleanJail, removeScratch } from './clean-jail.js';

/** `plant(root, scratch)` adds one flaw to the clean jail at `root` (scratch is its root-owned parent). */
export async function auditWithFlaw(
  plant: (root: string, scratch: string) => void | Promise<void>,
  options: AuditOptions & { rootAt?: (scratch: string) => string; auditAt?: (root: string) => string } = {},
): Promise<Finding[]> {
  const scratch = makeScratch();
  try {
    const root = options.rootAt ? options.rootAt(scratch) : join(scratch, 'root');
    plantCleanJail(root);
    await plant(root, scratch);
    return (await auditJail(options.auditAt ? options.auditAt(root) : root, options)).findings;
  } finally {
    removeScratch(scratch);
  }
}

/** The finding `rule` makes at `path` with `found` (its severity, risk and fix as the rule states them). */
export function findingOf(rule: AuditRule, path: string, found: string, severity = rule.severity): Finding {
  return { rule: rule.id, severity, path, found, why: rule.why, fix: rule.fix };
}
