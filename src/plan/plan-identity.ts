// The service's identity, looked up on the HOST at build time, and the minimal etc/passwd and etc/group
// that name only root and that identity (no password hashes; home `/` and a nologin shell unless the
// recipe's `account` gives the service user a home and a shell in the jail), and the host's users and
// groups the recipe's nss `names` (src/plan/looked-up-accounts.ts).
import { createHash } from 'node:crypto';
import type { Recipe } from '../recipe/merge-recipes.js';
import { recipeError, type Sourced } from '../recipe/recipe-error.js';
import type { AccountSpec } from '../recipe/schema.js';
import { type AccountLookup, hostAccounts, type PendingAccounts } from './host-accounts.js';
import { groupLine, type LookedUpAccounts, NO_LOOKED_UP_ACCOUNTS, passwdLine } from './looked-up-accounts.js';
import type { Identity } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { FILE_MODE, modeIsProgram, NOLOGIN_SHELL, ROOT_GID, ROOT_UID } from './policy.js';

const IDENTITY_WHY = 'names the service identity inside the jail (root and the service user only)';
const LOOKED_UP_WHY = "names the service identity inside the jail (root, the service user, and the host's entries nss names)";

/** What useradd and groupadd accept everywhere: a lower-case letter or "_", then letters, digits, "_" and "-". */
const NEW_ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * The host accounts `createUser: true` asks for that are missing: the user (a system user in its own
 * group, or in the recipe's group) and that group. Undefined when nothing is to be created. Reads the
 * host only; src/stage/service-accounts.ts creates them.
 */
export function accountsToCreate(recipe: Recipe): PendingAccounts | undefined {
  if (recipe.createUser?.value !== true) return undefined;
  const { user: wanted, group: wantedGroup } = recipe;
  if (!wanted) throw recipeError(recipe.createUser.origin, 'createUser without a user', "name the service's own user: user: 'NAME' (and group, or a group of the same name is created)");
  const accounts = hostAccounts();
  const primaryGroup = wantedGroup?.value ?? wanted.value;
  const user = accounts.user(wanted.value) ? undefined : wanted.value;
  const group = (user !== undefined || wantedGroup) && !accounts.group(primaryGroup) ? primaryGroup : undefined;
  if (user !== undefined) requireNewName(wanted, 'user');
  if (group !== undefined) requireNewName(wantedGroup ?? wanted, 'group');
  return user === undefined && group === undefined ? undefined : { user, group, primaryGroup };
}

function requireNewName(name: Sourced<string>, kind: 'user' | 'group'): void {
  if (NEW_ACCOUNT_NAME.test(name.value)) return;
  throw recipeError(
    name.origin,
    `createUser: ${kind} ${name.value} does not exist on the host and is not a name mkjail creates`,
    `name a new ${kind} with a lower-case letter or "_" first, then lower-case letters, digits, "_" or "-" (at most 32), or create it on the host yourself`,
  );
}

/** The service's identity on the host (`accounts` stands in for those a --check build would create). */
export function resolveIdentity(recipe: Recipe, accounts: AccountLookup = hostAccounts()): Identity | null {
  if (!recipe.user) {
    if (recipe.group) throw recipeError(recipe.group.origin, 'a group without a user', 'declare user as well (group defaults to its primary group)');
    return null;
  }
  const user = accounts.user(recipe.user.value);
  if (!user) throw recipeError(recipe.user.origin, `user ${recipe.user.value} does not exist on the host`, `create it on the host (adduser --system ${recipe.user.value}), name an existing user, or add createUser: true to have mkjail create it`);
  if (user.uid === 0) throw recipeError(recipe.user.origin, `user ${recipe.user.value} is root (uid 0)`, 'run the service as an unprivileged user: root can break out of a chroot');
  const group = recipe.group ? accounts.group(recipe.group.value) : accounts.group(String(user.gid));
  if (!group) {
    const origin = recipe.group?.origin ?? recipe.user.origin;
    const name = recipe.group?.value ?? `gid ${user.gid}`;
    throw recipeError(origin, `group ${name} does not exist on the host`, 'create the group on the host or name an existing one');
  }
  if (group.gid === 0) {
    throw recipeError(recipe.group?.origin ?? recipe.user.origin, `group ${group.name} is gid 0`, 'run the service with an unprivileged group of its own (group: ...)');
  }
  return { user: user.name, uid: user.uid, group: group.name, gid: group.gid };
}

/** The account files mkjail writes itself: a recipe may not bring its own. */
const ACCOUNT_FILES = ['/etc/passwd', '/etc/group'] as const;

/**
 * Refuses an etc/passwd or etc/group the recipe brought in (a copy of the host's names every host user,
 * and the jail's must match the host's ids): mkjail writes them from `user`, `group` and `account`.
 */
export function refuseOwnAccountFiles(plan: PlanBuilder, recipe: Recipe): void {
  for (const path of ACCOUNT_FILES) {
    const entry = plan.get(path);
    if (!entry) continue;
    const field = entry.reasons.map((r) => (r.kind === 'recipe' ? r.field : r.kind === 'config' ? `configs (${r.what} in ${r.by})` : r.kind)).join(', ');
    throw recipeError(
      { file: recipe.file, field },
      `brings its own ${path}, but mkjail writes the jail's ${path} itself (root and the service identity, with the host's numeric ids)`,
      `remove it from the recipe; name the service user with user and group, and give it a home and a shell in the jail with account: { home: '/home/NAME', shell: '/bin/sh' }`,
    );
  }
}

/**
 * Adds etc/passwd and etc/group for root and `identity` (the service user's home and shell from
 * `account`), then the host's users and groups the service looks up (`others`, from nss names).
 */
export function planIdentityFiles(plan: PlanBuilder, identity: Identity, account: AccountSpec | undefined, others: LookedUpAccounts = NO_LOOKED_UP_ACCOUNTS): void {
  const home = account?.home ?? '/';
  const shell = account?.shell ?? NOLOGIN_SHELL;
  const jailUsers = ['root', identity.user, ...others.users.map((user) => user.name)];
  const passwd = `root:x:0:0:root:/:${NOLOGIN_SHELL}\n${identity.user}:x:${identity.uid}:${identity.gid}:${identity.user}:${home}:${shell}\n${others.users.map(passwdLine).join('')}`;
  const group = `root:x:0:\n${identity.group}:x:${identity.gid}:\n${others.groups.map((g) => groupLine(g, jailUsers)).join('')}`;
  addGenerated(plan, '/etc/passwd', passwd, others.users.length > 0);
  addGenerated(plan, '/etc/group', group, others.groups.length > 0);
}

/** Checks, once the whole jail is planned, that the account's home is a directory and its shell a program in it. */
export function checkAccount(plan: PlanBuilder, account: Sourced<AccountSpec> | undefined, identity: Identity | null): void {
  if (!account) return;
  const { value, origin } = account;
  if (!identity) throw recipeError(origin, 'an account without a user', 'declare user (and group): account shapes that user\'s line in the jail\'s etc/passwd');
  if (value.home && value.home !== '/' && plan.resolve(value.home)?.type !== 'dir') {
    throw recipeError({ ...origin, field: `${origin.field}.home` }, `${value.home} is not a directory in the jail`, 'add it to dirs, or to writable for a home the user writes');
  }
  const shell = value.shell ? plan.resolve(value.shell) : undefined;
  if (value.shell && (shell?.type !== 'file' || !modeIsProgram(shell.mode))) {
    throw recipeError({ ...origin, field: `${origin.field}.shell` }, `${value.shell} is not a program in the jail`, 'bring the shell in (binaries, or links such as /bin/sh -> /usr/bin/busybox)');
  }
}

function addGenerated(plan: PlanBuilder, path: string, text: string, withLookedUp: boolean): void {
  const data = Buffer.from(text, 'utf8');
  const sha256 = createHash('sha256').update(data).digest('hex');
  const why = withLookedUp ? LOOKED_UP_WHY : IDENTITY_WHY;
  plan.add(
    { type: 'file', path, mode: FILE_MODE, uid: ROOT_UID, gid: ROOT_GID, size: data.length, sha256, reasons: [{ kind: 'identity', why }] },
    { kind: 'bytes', data },
  );
}
