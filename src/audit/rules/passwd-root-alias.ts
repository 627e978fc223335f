// Rule passwd-root-alias: in etc/passwd and etc/group, id 0 belongs to root alone: no other user with
// uid or gid 0, no other group with gid 0, no members added to the root group.
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { readAccountFile } from '../read-account-file.js';

export const passwdRootAlias: AuditRule = {
  id: 'passwd-root-alias',
  severity: 'critical',
  checks: 'an etc/passwd or etc/group entry other than root with uid or gid 0, or members in group root',
  why: 'a name that maps to id 0 gives root (or root\'s group) to whatever runs as it, in the jail and at the next start',
  fix: 'delete the entry; resolve the service user on the host and keep only the lines the service needs',
  check(jail) {
    const hits: RuleHit[] = [];
    for (const record of readAccountFile(jail.realRoot, '/etc/passwd') ?? []) {
      const [name = '', , uid, gid] = record.fields;
      if (name === 'root') continue;
      if (uid === '0') hits.push({ path: '/etc/passwd', found: `line ${record.line}: user ${name} has uid 0` });
      else if (gid === '0') hits.push({ path: '/etc/passwd', found: `line ${record.line}: user ${name} has gid 0` });
    }
    for (const record of readAccountFile(jail.realRoot, '/etc/group') ?? []) {
      const [name = '', , gid, members = ''] = record.fields;
      if (gid !== '0') continue;
      if (name !== 'root') hits.push({ path: '/etc/group', found: `line ${record.line}: group ${name} has gid 0` });
      else if (members.trim() !== '') hits.push({ path: '/etc/group', found: `line ${record.line}: group root lists members ${members.trim()}` });
    }
    return hits;
  },
};
