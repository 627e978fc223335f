// The service's identity, looked up on the HOST at build time, and the minimal etc/passwd and etc/group
// that name only root and that identity (no password hashes, no home, a nologin shell).
import { createHash } from 'node:crypto';
import type { Recipe } from '../recipe/merge-recipes.js';
import { recipeError } from '../recipe/recipe-error.js';
import { lookUpHostGroup, lookUpHostUser } from './host-accounts.js';
import type { Identity } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { FILE_MODE, NOLOGIN_SHELL, ROOT_GID, ROOT_UID } from './policy.js';

const IDENTITY_WHY = 'names the service identity inside the jail (root and the service user only)';

export function resolveIdentity(recipe: Recipe): Identity | null {
  if (!recipe.user) {
    if (recipe.group) throw recipeError(recipe.group.origin, 'a group without a user', 'declare user as well (group defaults to its primary group)');
    return null;
  }
  const user = lookUpHostUser(recipe.user.value);
  if (!user) throw recipeError(recipe.user.origin, `user ${recipe.user.value} does not exist on the host`, `create it on the host (adduser --system ${recipe.user.value}) or name an existing user`);
  if (user.uid === 0) throw recipeError(recipe.user.origin, `user ${recipe.user.value} is root (uid 0)`, 'run the service as an unprivileged user: root can break out of a chroot');
  const group = recipe.group ? lookUpHostGroup(recipe.group.value) : lookUpHostGroup(String(user.gid));
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

/** Adds etc/passwd and etc/group for root and `identity`. */
export function planIdentityFiles(plan: PlanBuilder, identity: Identity): void {
  const passwd = `root:x:0:0:root:/:${NOLOGIN_SHELL}\n${identity.user}:x:${identity.uid}:${identity.gid}:${identity.user}:/:${NOLOGIN_SHELL}\n`;
  const group = `root:x:0:\n${identity.group}:x:${identity.gid}:\n`;
  addGenerated(plan, '/etc/passwd', passwd);
  addGenerated(plan, '/etc/group', group);
}

function addGenerated(plan: PlanBuilder, path: string, text: string): void {
  const data = Buffer.from(text, 'utf8');
  const sha256 = createHash('sha256').update(data).digest('hex');
  plan.add(
    { type: 'file', path, mode: FILE_MODE, uid: ROOT_UID, gid: ROOT_GID, size: data.length, sha256, reasons: [{ kind: 'identity', why: IDENTITY_WHY }] },
    { kind: 'bytes', data },
  );
}
