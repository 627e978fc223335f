// The recipe's `nss`: the name-service databases the service looks up. The jail gets a minimal
// nsswitch.conf naming only those, the files their sources read (etc/hosts, etc/resolv.conf, ...), and
// the libnss_*.so.2 modules of sources glibc does not build in. glibc 2.34 and later (Debian 12 has
// 2.36) build `files` and `dns` into libc, so the default sources need no module at all. A source that
// answers through a daemon's socket the jail cannot reach is refused, naming the source.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { libcDirectory } from './libc-directory.js';
import type { Recipe } from '../recipe/merge-recipes.js';
import { reasonField, recipeError, type Sourced } from '../recipe/recipe-error.js';
import type { NssDatabase, NssSpec } from '../recipe/schema.js';
import type { Identity, Reason } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { planHostPath } from './plan-host-path.js';
import { FILE_MODE, ROOT_GID, ROOT_UID } from './policy.js';

export const NSSWITCH_PATH = '/etc/nsswitch.conf';

/** Sources glibc 2.34+ has inside libc: no module is dlopen()ed for them. */
const BUILT_IN = new Set(['files', 'dns']);

/** Sources that answer through a daemon: the socket (or service) a jail cannot reach. */
const DAEMON_SOURCES: Record<string, string> = {
  systemd: 'systemd-userdbd and the D-Bus system bus (/run/systemd/userdb, /run/dbus/system_bus_socket)',
  resolve: 'systemd-resolved (/run/systemd/resolve/io.systemd.Resolve)',
  mymachines: 'systemd-machined (/run/systemd/machines)',
  sss: "SSSD's socket (/var/lib/sss/pipes/nss)",
  ldap: 'an LDAP server (through nslcd, /run/nslcd/socket)',
  winbind: "winbindd's socket (/run/samba/winbindd/pipe)",
  nis: 'ypbind and a NIS server',
  mdns: 'avahi-daemon (/run/avahi-daemon/socket)',
  mdns4: 'avahi-daemon (/run/avahi-daemon/socket)',
  mdns6: 'avahi-daemon (/run/avahi-daemon/socket)',
  mdns_minimal: 'avahi-daemon (/run/avahi-daemon/socket)',
  mdns4_minimal: 'avahi-daemon (/run/avahi-daemon/socket)',
  mdns6_minimal: 'avahi-daemon (/run/avahi-daemon/socket)',
};

/** The host file the `files` source reads for each database (passwd and group are the jail's own, from `user` and nss `names`). */
const FILES_OF: Record<NssDatabase, string | undefined> = {
  passwd: undefined,
  group: undefined,
  hosts: '/etc/hosts',
  networks: '/etc/networks',
  protocols: '/etc/protocols',
  services: '/etc/services',
  ethers: '/etc/ethers',
  rpc: '/etc/rpc',
};

export interface NssLine {
  database: NssDatabase;
  sources: string[];
  /** Users (passwd) or groups (group) of the host the service looks up, besides its own. */
  names: string[];
  origin: Sourced<NssSpec>['origin'];
}

/** The sources that read the jail's etc/passwd and etc/group, where `names` are written. */
const ACCOUNT_FILE_SOURCES = ['files', 'compat'];

/** The recipe's nss entries as nsswitch.conf lines, checked: each database once, no daemon source. */
export function nssLines(specs: Sourced<NssSpec>[]): NssLine[] {
  const lines: NssLine[] = [];
  for (const { value, origin } of specs) {
    const database = typeof value === 'string' ? value : value.database;
    const sources = typeof value === 'string' || value.sources === undefined ? (database === 'hosts' ? ['files', 'dns'] : ['files']) : value.sources;
    const names = typeof value === 'string' ? [] : (value.names ?? []);
    if (lines.some((line) => line.database === database)) throw recipeError(origin, `names the database ${database} twice`, `name each database once in nss`);
    for (const source of sources) {
      const daemon = DAEMON_SOURCES[source];
      if (daemon) {
        throw recipeError(origin, `the NSS source ${source} of ${database} answers through ${daemon}, which the jail cannot reach`, `use sources that read the jail's own files: nss: ['${database}'] (files${database === 'hosts' ? ' dns' : ''}), or { database: '${database}', sources: ['files'] }`);
      }
    }
    if (names.length > 0 && !sources.some((source) => ACCOUNT_FILE_SOURCES.includes(source))) {
      throw recipeError({ ...origin, field: `${origin.field}.names` }, `names are written to the jail's etc/${database}, which none of the sources ${sources.join(' ')} reads`, `add files to sources (or leave sources out: files is the default)`);
    }
    lines.push({ database, sources, names, origin });
  }
  return lines;
}

/**
 * The libnss_SOURCE.so.2 modules of non-built-in sources, as binaries planned with their closure. glibc
 * dlopen()s them from libc, so they are looked for beside the libc the recipe's programs load.
 */
export function nssModules(recipe: Recipe): Sourced<string>[] {
  const lines = nssLines(recipe.nss);
  const needed = lines.flatMap((line) => line.sources.filter((source) => !BUILT_IN.has(source)).map((source) => ({ source, line })));
  if (needed.length === 0) return [];
  const libcDir = libcDirectory(recipe);
  const modules: Sourced<string>[] = [];
  for (const { source, line } of needed) {
    if (!libcDir) throw recipeError(line.origin, `the NSS source ${source} is a module glibc loads from libc's directory, and the jail holds no program that loads libc`, 'add the program that looks names up to binaries');
    const path = `${libcDir}/libnss_${source}.so.2`;
    if (!existsSync(path)) throw recipeError(line.origin, `the NSS source ${source} of ${line.database} needs ${path}, which the host does not have`, `install the package that provides libnss_${source}.so.2, or use files${line.database === 'hosts' ? ' and dns' : ''}`);
    if (!modules.some((module) => module.value === path)) modules.push({ value: path, origin: line.origin });
  }
  return modules;
}

/** Adds nsswitch.conf and the files the sources read. Run after the recipe's own files are planned. */
export function planNss(plan: PlanBuilder, recipe: Recipe, identity: Identity | null): void {
  const lines = nssLines(recipe.nss);
  if (lines.length === 0) return;
  const first = lines[0] as NssLine;
  const own = plan.get(NSSWITCH_PATH);
  if (own) {
    const field = own.reasons.map((r) => (r.kind === 'recipe' ? r.field : r.kind)).join(', ');
    throw recipeError(first.origin, `the recipe also brings its own ${NSSWITCH_PATH} (${field})`, `keep one: drop that file (or the include that brings it), or drop nss`);
  }
  for (const line of lines) planSourceFiles(plan, line, identity);
  const text = `# Written by mkjail from the recipe's nss field: only the databases the service looks up.\n${lines.map((line) => `${`${line.database}:`.padEnd(16)}${line.sources.join(' ')}\n`).join('')}`;
  const data = Buffer.from(text, 'utf8');
  plan.add(
    { type: 'file', path: NSSWITCH_PATH, mode: FILE_MODE, uid: ROOT_UID, gid: ROOT_GID, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), reasons: [{ kind: 'recipe', field: reasonField({ ...first.origin, field: 'nss' }) }] },
    { kind: 'bytes', data },
  );
}

function planSourceFiles(plan: PlanBuilder, line: NssLine, identity: Identity | null): void {
  const reasons: Reason[] = [{ kind: 'nss', service: line.database }];
  const files: string[] = [];
  if (line.sources.some((source) => source === 'files' || source === 'compat')) {
    if ((line.database === 'passwd' || line.database === 'group') && !identity) {
      throw recipeError(line.origin, `${line.database} from files reads the jail's etc/${line.database}, which mkjail writes only for a recipe with a user`, 'declare user (and group): the jail gets etc/passwd and etc/group with root and that identity');
    }
    const file = FILES_OF[line.database];
    if (file) files.push(file);
  }
  if (line.sources.includes('dns')) files.push('/etc/resolv.conf');
  for (const file of files) {
    if (plan.resolve(file)) continue;
    if (!planHostPath(plan, file, reasons)) {
      throw recipeError(line.origin, `${line.database} from ${line.sources.join(' ')} reads ${file}, which the host does not have`, `create ${file} on the host, or drop ${line.database} from nss`);
    }
  }
}
