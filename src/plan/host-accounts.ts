// Looks users and groups up in the HOST's databases (getent: files, systemd, LDAP...), never in a jail's.
import { execFile, execFileSync } from 'node:child_process';

export interface HostUser {
  name: string;
  uid: number;
  gid: number;
  /** The comment field of the host's line (absent for an account not created yet). */
  gecos?: string;
}

export interface HostGroup {
  name: string;
  gid: number;
  /** The group's members as the host's line lists them (absent for a group not created yet). */
  members?: string[];
}

/** The host's entry for a user name or number, or undefined when there is none. */
export function lookUpHostUser(nameOrId: string): HostUser | undefined {
  const fields = getent('passwd', nameOrId);
  if (!fields) return undefined;
  return { name: fields[0] ?? nameOrId, uid: Number(fields[2]), gid: Number(fields[3]), gecos: fields[4] ?? '' };
}

/** The host's entry for a group name or number, or undefined when there is none. */
export function lookUpHostGroup(nameOrId: string): HostGroup | undefined {
  const fields = getent('group', nameOrId);
  if (!fields) return undefined;
  return { name: fields[0] ?? nameOrId, gid: Number(fields[2]), members: (fields[3] ?? '').split(',').filter(Boolean) };
}

/**
 * The host's answers, kept for the life of the process: a build asks for the same user and group from
 * several places (identity files, writable paths), and one process building many jails asks for the
 * same ones again. Only entries found are kept (under the key asked and the entry's name), never a
 * "no such entry": a user created meanwhile is found by the next look-up.
 */
const answers = new Map<string, string[]>();

function getent(database: 'passwd' | 'group', key: string): string[] | undefined {
  const known = answers.get(`${database}:${key}`);
  if (known) return known;
  const fields = askGetent(database, key);
  if (fields) remember(database, key, fields);
  return fields;
}

function askGetent(database: 'passwd' | 'group', key: string): string[] | undefined {
  try {
    return firstLineFields(execFileSync('getent', [database, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch (error) {
    // getent exits 2 when the key is not found; anything else (getent missing) is a real problem.
    if (typeof error === 'object' && error !== null && 'status' in error && error.status === 2) return undefined;
    throw error;
  }
}

/**
 * Asks the host about `user` (its passwd entry and its groups) and `group` (by name; else the user's
 * primary group, by number) in one shell that runs getent and id, rather than one process each (a
 * spawn costs this process milliseconds of its own time), and keeps the answers found for the look-ups
 * the plan makes next: the same questions, asked once. Never fails: a question that fails here is
 * asked again, and fails cleanly, where the plan needs it.
 */
export async function prefetchHostAccounts(user: string | undefined, group: string | undefined): Promise<void> {
  if (user === undefined) return;
  const known = (database: 'passwd' | 'group', key: string) => answers.get(`${database}:${key}`);
  const questions: string[][] = [];
  const ask = (argv: string[]): number => questions.push(argv) - 1;
  const passwdAt = known('passwd', user) ? undefined : ask(['getent', 'passwd', user]);
  const idsAt = groupIds.has(user) ? undefined : ask(['id', '-G', '--', user]);
  const groupAt = group === undefined || known('group', group) ? undefined : ask(['getent', 'group', group]);
  const replies = await askAtOnce(questions);
  const entry = (at: number | undefined) => (at === undefined ? undefined : firstLineFields(replies[at]));
  const passwd = known('passwd', user) ?? entry(passwdAt);
  if (passwd) remember('passwd', user, passwd);
  const ids = idsAt === undefined ? undefined : replies[idsAt];
  if (ids !== undefined && !groupIds.has(user)) groupIds.set(user, parseGroupIds(ids));
  const primary = group ?? passwd?.[3];
  if (primary === undefined || known('group', primary)) return;
  const fields = group === undefined ? firstLineFields((await askAtOnce([['getent', 'group', primary]]))[0]) : entry(groupAt);
  if (fields) remember('group', primary, fields);
}

function remember(database: 'passwd' | 'group', key: string, fields: string[]): void {
  for (const name of new Set([key, fields[0] ?? key])) answers.set(`${database}:${name}`, fields);
}

/** The fields of getent's first line of output, or undefined when it printed nothing. */
function firstLineFields(output: string | undefined): string[] | undefined {
  const first = output?.split('\n')[0];
  return first ? first.split(':') : undefined;
}

/**
 * Runs each command (argv, words passed as the shell's arguments, never as script text) in one `sh`;
 * what each printed when it exited 0, else undefined. All undefined when the shell can't run.
 */
function askAtOnce(commands: string[][]): Promise<Array<string | undefined>> {
  if (commands.length === 0) return Promise.resolve([]);
  // Each command: its words, then a NUL, its exit status and a NUL; then its words are shifted away.
  const script = commands.map((argv) => `${argv.map((_, i) => `"\${${i + 1}}"`).join(' ')}; printf '\\0%d\\0' $?; shift ${argv.length}`).join('\n');
  return new Promise((done) => {
    execFile('sh', ['-c', script, 'sh', ...commands.flat()], { encoding: 'utf8' }, (error, stdout) => {
      const parts = error ? [] : stdout.split('\0');
      done(commands.map((_, i) => (parts[2 * i + 1] === '0' ? parts[2 * i] : undefined)));
    });
  });
}

function parseGroupIds(line: string): number[] {
  return line.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** `id -G` answers, kept for the process as getent's are. */
const groupIds = new Map<string, number[]>();

/** Every group id `user` has on the host: its primary group and its supplementary groups (`id -G`). */
export function hostGroupIdsOf(user: string): number[] {
  let ids = groupIds.get(user);
  if (!ids) {
    const line = execFileSync('id', ['-G', '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    ids = parseGroupIds(line);
    groupIds.set(user, ids);
  }
  return [...ids];
}

/**
 * The accounts a recipe's `createUser` will add on the host that are not there yet (a `--check` plan is
 * drawn before they exist): the user and group to create, and the primary group a new user gets.
 */
export interface PendingAccounts {
  user: string | undefined;
  group: string | undefined;
  primaryGroup: string;
}

/**
 * Stands for the id of an account not created yet, in a plan that is never written (`build --check`):
 * (uid_t)-2, which no account may have.
 */
export const PENDING_ID = 4294967294;

/** Host lookups, with placeholder entries for `pending` accounts. */
export interface AccountLookup {
  user(nameOrId: string): HostUser | undefined;
  group(nameOrId: string): HostGroup | undefined;
  groupIdsOf(user: string): number[];
}

export function hostAccounts(pending?: PendingAccounts): AccountLookup {
  const group = (nameOrId: string): HostGroup | undefined =>
    pending?.group !== undefined && (nameOrId === pending.group || nameOrId === String(PENDING_ID)) ? { name: pending.group, gid: PENDING_ID } : lookUpHostGroup(nameOrId);
  const user = (nameOrId: string): HostUser | undefined =>
    pending?.user !== undefined && nameOrId === pending.user ? { name: nameOrId, uid: PENDING_ID, gid: group(pending.primaryGroup)?.gid ?? PENDING_ID } : lookUpHostUser(nameOrId);
  return { user, group, groupIdsOf: (name) => (name === pending?.user ? [] : hostGroupIdsOf(name)) };
}
