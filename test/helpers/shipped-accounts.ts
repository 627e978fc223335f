// Global set-up of a test run (as root): the accounts the shipped recipes create for themselves
// (createUser: mkjail-id, mkjail-getent, ...) are made once before any test file runs, so that files
// running side by side all find them, and a build as another user (a --tar build as nobody) too. The
// run's end removes those it made, and only those.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { accountsToCreate } from '../../src/plan/plan-identity.js';
import { loadRecipe } from '../../src/recipe/load-recipe.js';
import { type CreatedAccount, createServiceAccounts } from '../../src/stage/service-accounts.js';
import { REPO_ROOT } from './cli.js';

export default async function setup(): Promise<() => void> {
  if (process.getuid?.() !== 0) return () => {};
  const created: CreatedAccount[] = [];
  for (const name of readdirSync(join(REPO_ROOT, 'recipes')).filter((file) => file.endsWith('.ts')).sort()) {
    const recipe = await loadRecipe(join(REPO_ROOT, 'recipes', name), { cwd: REPO_ROOT, set: {} });
    const pending = accountsToCreate(recipe);
    if (pending) created.push(...createServiceAccounts(pending, recipe.name));
  }
  return () => {
    for (const account of created.filter((a) => a.type === 'user')) execFileSync('userdel', ['--', account.name]);
    // userdel takes a user's own group with it (USERGROUPS_ENAB); a group that is left goes here.
    for (const account of created.filter((a) => a.type === 'group')) {
      if (spawnSync('getent', ['group', account.name]).status === 0) execFileSync('groupdel', ['--', account.name]);
    }
  };
}
