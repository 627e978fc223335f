// The contract of one audit rule: a stable id, a severity, the risk in one line, the usual fix, and a
// check that reads the jail and returns what it found.
import type { JailView } from './jail-view.js';
import type { RuleId } from './rule-ids.js';
import type { Severity } from './severity.js';

/** One thing a rule found; `fix` and `severity` override the rule's defaults for this finding. */
export interface RuleHit {
  path: string;
  found: string;
  fix?: string;
  severity?: Severity;
}

export interface AuditRule {
  id: RuleId;
  severity: Severity;
  /** What the rule looks for, one line (docs and `--help`). */
  checks: string;
  /** Why it matters: the risk, one line. */
  why: string;
  fix: string;
  check(jail: JailView): RuleHit[] | Promise<RuleHit[]>;
}
