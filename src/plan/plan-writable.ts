// Writable paths: the only entries not owned by root, each with its declared owner, mode and why.
// A path the recipe also copies stays a file; any other becomes a directory.
import { createHash } from 'node:crypto';
import type { Sourced } from '../recipe/recipe-error.js';
import { recipeError } from '../recipe/recipe-error.js';
import type { WritableSpec } from '../recipe/schema.js';
import { type AccountLookup, hostAccounts } from './host-accounts.js';
import type { Manifest } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { readFileBelow } from '../fs/open-below.js';

export type WritableDeclaration = Manifest['writable'][number];

/** Plans every writable path; a writable file already in `previousRoot` keeps the service's content. */
export function planWritable(plan: PlanBuilder, specs: Sourced<WritableSpec>[], previousRoot: string | undefined, accounts: AccountLookup = hostAccounts()): WritableDeclaration[] {
  return specs.map((spec) => planOne(plan, spec, previousRoot, accounts));
}

function planOne(plan: PlanBuilder, spec: Sourced<WritableSpec>, previousRoot: string | undefined, accounts: AccountLookup): WritableDeclaration {
  const { path, owner, group, mode, why } = spec.value;
  const user = accounts.user(owner);
  if (!user) throw recipeError({ ...spec.origin, field: `${spec.origin.field}.owner` }, `user ${owner} does not exist on the host`, 'create it on the host or name an existing user');
  const hostGroup = accounts.group(group);
  if (!hostGroup) throw recipeError({ ...spec.origin, field: `${spec.origin.field}.group` }, `group ${group} does not exist on the host`, 'create it on the host or name an existing group');
  const through = plan.symlinkOnTheWay(path);
  if (through) throw recipeError({ ...spec.origin, field: `${spec.origin.field}.path` }, `${path} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
  const octal = mode.toString(8).padStart(4, '0');
  const reasons = [{ kind: 'writable' as const, why }];
  const existing = plan.get(path);
  if (existing?.type === 'file') {
    plan.replace({ ...existing, uid: user.uid, gid: hostGroup.gid, mode: octal, reasons: [...existing.reasons, ...reasons] });
    keepServiceContent(plan, path, previousRoot);
  } else if (existing && existing.type !== 'dir') {
    throw recipeError({ ...spec.origin, field: `${spec.origin.field}.path` }, `${path} is a ${existing.type} in the jail`, 'writable paths are directories or copied files');
  } else {
    plan.add({ type: 'dir', path, mode: '0555', uid: 0, gid: 0, reasons: [] });
    const dir = plan.get(path);
    if (dir) plan.replace({ ...dir, uid: user.uid, gid: hostGroup.gid, mode: octal, reasons: [...dir.reasons.filter((r) => r.kind !== 'parent-dir'), ...reasons] });
  }
  return { path, owner: user.name, group: hostGroup.name, mode: octal, why };
}

/** A writable file the service already changed in the previous jail keeps those bytes. */
function keepServiceContent(plan: PlanBuilder, path: string, previousRoot: string | undefined): void {
  if (!previousRoot) return;
  // The service owns this file and may swap it for a symlink at any time: read it without following one.
  const data = readFileBelow(previousRoot, path);
  if (!data) return;
  const entry = plan.get(path);
  if (entry?.type !== 'file') return;
  plan.replace({ ...entry, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  plan.contents.set(path, { kind: 'bytes', data });
}
