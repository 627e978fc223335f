// The stable ids of every audit rule: a closed set, the names users write in `--allow RULE:PATH` and
// recipes in `allow: [{ rule, path, why }]` (so they live below both the recipe schema and the audit).

export const RULE_IDS = [
  'owner-not-root',
  'group-writable',
  'world-writable',
  'writable-dir-holds-code',
  'setuid-setgid',
  'file-capability',
  'device-node',
  'dev-dir-mode',
  'socket-or-fifo',
  'hard-link-outside',
  'dangerous-binary',
  'root-run-script',
  'untrusted-symlink',
  'mount-point',
  'passwd-root-alias',
  'password-hash',
  'shadow-file',
  'writable-parent',
  'artifact-writable',
  'drift',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export function isRuleId(value: string): value is RuleId {
  return (RULE_IDS as readonly string[]).includes(value);
}
