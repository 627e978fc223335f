// `--allow RULE:PATH`: suppresses one rule at one exact path (no globs). Unknown rules and relative
// paths are usage errors, so a typo never silently allows nothing.
import { EXIT, MkjailError } from '../errors.js';
import { isRuleId, type RuleId } from './rule-ids.js';

export interface Allowance {
  rule: RuleId;
  path: string;
}

export function parseAllow(text: string): Allowance {
  const colon = text.indexOf(':');
  const rule = colon < 0 ? text : text.slice(0, colon);
  const path = colon < 0 ? '' : text.slice(colon + 1);
  if (!isRuleId(rule)) {
    throw new MkjailError(`Can't use --allow ${text}: unknown rule "${rule}"`, {
      exitCode: EXIT.badInput,
      hint: "write --allow RULE:PATH with a rule id from 'mkjail audit --help'",
    });
  }
  if (!path.startsWith('/')) {
    throw new MkjailError(`Can't use --allow ${text}: the path must be absolute (inside the jail)`, {
      exitCode: EXIT.badInput,
      hint: 'write the exact path a finding shows, e.g. --allow dev-dir-mode:/dev',
    });
  }
  return { rule, path };
}

export function allowanceKey(allowance: { rule: string; path: string }): string {
  return `${allowance.rule}:${allowance.path}`;
}
