// The shape of an audit finding and of the `--json` report: one zod schema each, the only definitions.
import * as z from '../zod.js';
import { RULE_IDS } from './rule-ids.js';
import { SEVERITIES } from './severity.js';

export const AUDIT_FORMAT = 'mkjail-audit/1';

export const findingSchema = z.strictObject({
  /** Stable rule id, e.g. "setuid-setgid". */
  rule: z.enum(RULE_IDS),
  severity: z.enum(SEVERITIES),
  /** Absolute path inside the jail; for `writable-parent`, a host path above the jail root. */
  path: z.string().min(1),
  /** What was found, in words: "mode 4755, owner 0:0". */
  found: z.string().min(1),
  /** One line naming the risk. */
  why: z.string().min(1),
  /** How to fix it. */
  fix: z.string().min(1),
});
export type Finding = z.infer<typeof findingSchema>;

export const auditReportSchema = z.strictObject({
  format: z.literal(AUDIT_FORMAT),
  /** Host path of the jail root that was audited (as given, made absolute). */
  root: z.string(),
  /** Host path of the manifest used, or null when the jail was audited without one. */
  manifest: z.string().nullable(),
  failOn: z.enum(SEVERITIES),
  /** Entries of the jail that were examined (the root included). */
  entries: z.number().int().min(0),
  /** `--allow` values that suppressed a finding, as "RULE:PATH", sorted. */
  allowed: z.array(z.string()),
  /** The allowances the manifest declares (the recipe's `allow`, each with its why); they count as --allow. */
  declared: z.array(z.strictObject({ rule: z.enum(RULE_IDS), path: z.string(), why: z.string() })),
  /** `--allow` values that matched no finding (stale or mistyped), sorted. */
  unmatchedAllow: z.array(z.string()),
  /** Sorted by severity, then rule id, then path. */
  findings: z.array(findingSchema),
  /** True when some finding is at or above failOn (the command then exits 1). */
  failed: z.boolean(),
});
export type AuditReport = z.infer<typeof auditReportSchema>;
