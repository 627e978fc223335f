// Rule shared-service-user: the service runs as a user of its own. `nobody` (uid 65534) is every
// unconfigured daemon's and NFS's catch-all, and a user that is also another mkjail jail's service
// user (the host's list of built jails, src/stage/jail-registry.ts) lets either service signal,
// trace and share files with the other: the uid boundary the jail relies on is gone.
import { existsSync, realpathSync } from 'node:fs';
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { type Identity, readManifest } from '../../plan/manifest.js';
import { outputLayout } from '../../plan/output-layout.js';
import { type RegisteredJail, registeredJails } from '../../stage/jail-registry.js';

/** The overflow id: what `nobody` and `nogroup` are on Linux. */
const NOBODY_UID = 65534;

/** The account file that names the service user in the jail: where the finding points. */
const PASSWD = '/etc/passwd';

export const sharedServiceUser: AuditRule = {
  id: 'shared-service-user',
  severity: 'medium',
  checks: 'the service user (from the manifest) is nobody (uid 65534) or the service user of another jail mkjail built on this host',
  why: 'a uid shared with other services lets each signal, ptrace and write the files of the others: a break-in to one is a break-in to all',
  fix: "give the service a user of its own: user: 'NAME' with createUser: true in the recipe, then rebuild",
  check(jail) {
    const identity = jail.manifest?.identity;
    if (!identity) return [];
    const hits: RuleHit[] = [];
    if (identity.user === 'nobody' || identity.uid === NOBODY_UID) {
      hits.push({ path: PASSWD, found: `service user ${identity.user} (uid ${identity.uid}) is the host's catch-all user, shared by every service that runs as nobody` });
    }
    const others = registeredJails().filter((other) => sharesUser(other, identity, jail.realRoot));
    if (others.length > 0) {
      hits.push({ path: PASSWD, found: `service user ${identity.user} (uid ${identity.uid}) is also the service user of ${others.map((o) => `the jail at ${o.dir} (recipe ${o.recipe})`).join(', ')}` });
    }
    return hits;
  },
};

function sameUser(a: Identity, b: Identity): boolean {
  return a.uid === b.uid || a.user === b.user;
}

/**
 * True when `other` is a jail other than the one at `realRoot` that runs as `identity` by its own
 * manifest today (an entry whose DIR was removed, or rebuilt for another user, shares nothing).
 */
function sharesUser(other: RegisteredJail, identity: Identity, realRoot: string): boolean {
  const layout = outputLayout(other.dir);
  if (!sameUser(other, identity) || !existsSync(layout.manifest)) return false;
  try {
    if (realpathSync(layout.root) === realRoot) return false;
    const current = readManifest(layout.manifest).identity;
    return current !== null && sameUser(current, identity);
  } catch {
    return false;
  }
}
