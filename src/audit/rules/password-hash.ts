// Rule password-hash: etc/passwd and etc/group in a jail hold no password hashes and no empty
// (password-less) passwd entries: "x", "*" or "!" only.
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { readAccountFile } from '../read-account-file.js';

/** Password fields that hold no secret and allow no login. */
export const LOCKED_PASSWORDS: readonly string[] = ['x', '*', '!', '!!', '!*', '*NP*'];

export const passwordHash: AuditRule = {
  id: 'password-hash',
  severity: 'high',
  checks: 'a password hash, or an empty password, in etc/passwd or etc/group',
  why: 'anyone who reads the jail can crack the hash offline (or log in without a password) and reuse it on the host',
  fix: 'replace the field with "x" and keep no secrets in the jail',
  check(jail) {
    const hits: RuleHit[] = [];
    for (const path of ['/etc/passwd', '/etc/group'] as const) {
      for (const record of readAccountFile(jail.realRoot, path) ?? []) {
        const [name = '', password = ''] = record.fields;
        if (LOCKED_PASSWORDS.includes(password)) continue;
        if (password === '' && path === '/etc/group') continue;
        const what = password === '' ? 'an empty password' : 'a password hash';
        hits.push({ path, found: `line ${record.line}: ${path === '/etc/passwd' ? 'user' : 'group'} ${name} has ${what}` });
      }
    }
    return hits;
  },
};
