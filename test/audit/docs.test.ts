import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_RULES } from '../../src/audit/rules/index.js';
import { RULE_IDS } from '../../src/audit/rule-ids.js';
import { REPO_ROOT } from '../helpers/cli.js';

describe('the audit rules and their documentation', () => {
  it('registers exactly one rule per rule id, in order', () => {
    expect(AUDIT_RULES.map((r) => r.id)).toEqual([...RULE_IDS]);
  });

  it('documents every rule with its severity in docs/audit.md', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs/audit.md'), 'utf8');
    const missing = AUDIT_RULES.filter((r) => !new RegExp(`^\\| \`${r.id}\` \\| ${r.severity}\\b`, 'm').test(docs)).map((r) => r.id);
    expect(missing).toEqual([]);
  });
});
