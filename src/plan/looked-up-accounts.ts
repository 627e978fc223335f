// The users and groups a service looks up besides its own (`nss: [{ database: 'passwd', names: [...] }]`),
// each taken from the HOST (getent, so a user from LDAP or systemd-userdb is found as the host sees it)
// and written into the jail's etc/passwd or etc/group with `x` for the password: the jail holds no hash.
import type { Recipe } from '../recipe/merge-recipes.js';
import { recipeError, type Origin } from '../recipe/recipe-error.js';
import type { AccountLookup, HostGroup, HostUser } from './host-accounts.js';
import type { Identity } from './manifest.js';
import { nssLines } from './plan-nss.js';
import { NOLOGIN_SHELL } from './policy.js';

/** The host entries the jail's etc/passwd and etc/group hold besides root and the service identity. */
export interface LookedUpAccounts {
  users: HostUser[];
  groups: HostGroup[];
}

export const NO_LOOKED_UP_ACCOUNTS: LookedUpAccounts = { users: [], groups: [] };

/** Resolves every name of the recipe's passwd and group `names` on the host; a name the host lacks is a recipe error. */
export function lookedUpAccounts(recipe: Recipe, accounts: AccountLookup, identity: Identity | null): LookedUpAccounts {
  const found: LookedUpAccounts = { users: [], groups: [] };
  for (const line of nssLines(recipe.nss)) {
    line.names.forEach((name, index) => {
      const origin = { ...line.origin, field: `${line.origin.field}.names.${index}` };
      if (line.database === 'passwd') addOnce(found.users, hostUser(name, origin, accounts), identity?.user);
      if (line.database === 'group') addOnce(found.groups, hostGroup(name, origin, accounts), identity?.group);
    });
  }
  return found;
}

/** Adds `entry` unless root (always in the files) or the service's own account already names it. */
function addOnce<T extends { name: string }>(list: T[], entry: T, own: string | undefined): void {
  if (entry.name === 'root' || entry.name === own || list.some((known) => known.name === entry.name)) return;
  list.push(entry);
}

function hostUser(name: string, origin: Origin, accounts: AccountLookup): HostUser {
  const user = accounts.user(name);
  if (!user) throw recipeError(origin, `user ${name} does not exist on the host`, `create it on the host, or remove it from names: the jail's etc/passwd holds only users the host has`);
  if (user.name !== 'root' && (user.uid === 0 || user.gid === 0)) {
    throw recipeError(origin, `user ${user.name} has ${user.uid === 0 ? 'uid' : 'gid'} 0 on the host`, 'remove it from names: in the jail, id 0 is root alone');
  }
  return user;
}

function hostGroup(name: string, origin: Origin, accounts: AccountLookup): HostGroup {
  const group = accounts.group(name);
  if (!group) throw recipeError(origin, `group ${name} does not exist on the host`, `create it on the host, or remove it from names: the jail's etc/group holds only groups the host has`);
  if (group.name !== 'root' && group.gid === 0) throw recipeError(origin, `group ${group.name} has gid 0 on the host`, 'remove it from names: in the jail, gid 0 is root alone');
  return group;
}

/** A user's etc/passwd line as the host has it, with `x` for the password. */
export function passwdLine(user: HostUser): string {
  return `${user.name}:x:${user.uid}:${user.gid}:${user.gecos ?? user.name}:${user.home ?? '/'}:${user.shell ?? NOLOGIN_SHELL}\n`;
}

/** A group's etc/group line, listing only the host's members that the jail's etc/passwd names. */
export function groupLine(group: HostGroup, jailUsers: string[]): string {
  const members = (group.members ?? []).filter((member) => jailUsers.includes(member));
  return `${group.name}:x:${group.gid}:${members.join(',')}\n`;
}
