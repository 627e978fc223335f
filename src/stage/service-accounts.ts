// Creates the service's own host accounts a recipe asks for (`createUser: true`): a system group with
// groupadd, then a system user in it with useradd: no home directory, no login shell. Only what is
// missing is created, so a second build creates nothing; a user the build fails to create takes the
// group it created with it.
import { execFileSync } from 'node:child_process';
import { EXIT, MkjailError } from '../errors.js';
import { lookUpHostGroup, lookUpHostUser, type PendingAccounts } from '../plan/host-accounts.js';
import { NOLOGIN_SHELL } from '../plan/policy.js';

/** An account this build added to the host, with the id the host gave it. */
export interface CreatedAccount {
  type: 'user' | 'group';
  name: string;
  id: number;
}

/** useradd/groupadd: "name already in use" (another build created it a moment ago). */
const NAME_IN_USE = 9;

/** The home a system user without one is given (Debian's adduser --system uses the same). */
const NO_HOME = '/nonexistent';

export function createServiceAccounts(pending: PendingAccounts, recipeName: string): CreatedAccount[] {
  const created: CreatedAccount[] = [];
  if (pending.group !== undefined && addAccount('groupadd', ['--system', '--', pending.group], 'group', pending.group)) {
    created.push({ type: 'group', name: pending.group, id: requireId(lookUpHostGroup(pending.group)?.gid, 'group', pending.group) });
  }
  if (pending.user === undefined) return created;
  const user = pending.user;
  const args = ['--system', '--no-create-home', '--home-dir', NO_HOME, '--shell', NOLOGIN_SHELL, '--gid', pending.primaryGroup, '--comment', `mkjail ${recipeName} service`, '--', user];
  try {
    if (addAccount('useradd', args, 'user', user)) created.push({ type: 'user', name: user, id: requireId(lookUpHostUser(user)?.uid, 'user', user) });
  } catch (error) {
    for (const group of created) execFileSync('groupdel', ['--', group.name], { stdio: 'ignore' });
    throw error;
  }
  return created;
}

/** Runs `tool`; true when it created the account, false when it exists already (made meanwhile). */
function addAccount(tool: 'useradd' | 'groupadd', args: string[], type: 'user' | 'group', name: string): boolean {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    return true;
  } catch (error) {
    const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
    if (status === NAME_IN_USE) return false;
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim().split('\n')[0] : '';
    const what = status === undefined || status === null ? `${tool} could not run (${error instanceof Error ? error.message : String(error)})` : `${tool} exited ${String(status)}${stderr ? `: ${stderr}` : ''}`;
    throw new MkjailError(`Can't create system ${type} ${name} on the host: ${what}`, {
      exitCode: EXIT.environment,
      hint: `create it yourself (${type === 'user' ? `useradd --system --no-create-home --shell ${NOLOGIN_SHELL} ${name}` : `groupadd --system ${name}`}) and build again`,
    });
  }
}

function requireId(id: number | undefined, type: 'user' | 'group', name: string): number {
  if (id !== undefined) return id;
  throw new MkjailError(`Can't find system ${type} ${name} on the host right after creating it`, {
    exitCode: EXIT.environment,
    hint: 'check /etc/nsswitch.conf: getent must see the local files',
  });
}
