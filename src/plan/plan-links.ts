// The recipe's `links`: root-owned symlinks made in the jail (busybox applets, /bin/sh, compatibility
// names), each with the field that asked for it as its reason. A link must lead to something the jail holds.
import { posix } from 'node:path';
import { reasonField, recipeError, type Sourced } from '../recipe/recipe-error.js';
import type { LinkSpec } from '../recipe/schema.js';
import type { PlanBuilder } from './plan-builder.js';
import { ROOT_GID, ROOT_UID, SYMLINK_MODE } from './policy.js';

/** Plans every link, then checks that each one leads to an entry of the jail (links may lead to links). */
export function planLinks(plan: PlanBuilder, links: Sourced<LinkSpec>[]): void {
  for (const { value, origin } of links) {
    const through = plan.symlinkOnTheWay(posix.dirname(value.path));
    if (through) throw recipeError(origin, `${value.path} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
    const existing = plan.get(value.path);
    if (existing && existing.type !== 'symlink') {
      throw recipeError(origin, `${value.path} is already in the jail as a ${existing.type === 'dir' ? 'directory' : existing.type}`, 'choose another path for the link, or leave that path out of the recipe');
    }
    const reasons = [{ kind: 'recipe' as const, field: reasonField(origin) }];
    plan.add({ type: 'symlink', path: value.path, target: value.target, mode: SYMLINK_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons });
  }
  for (const { value, origin } of links) {
    if (plan.resolve(value.path)) continue;
    const where = posix.resolve(posix.dirname(value.path), value.target);
    throw recipeError(origin, `the link ${value.path} -> ${value.target} leads to ${where}, which is not in the jail`, 'bring the target in (binaries, files) or fix the target');
  }
}
