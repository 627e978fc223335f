// Draws the whole jail from a recipe: every entry with owner, mode, content hash and reasons (the
// manifest), where each file's bytes come from, and the warnings. Reads the host; writes nothing.
import { createHash } from 'node:crypto';
import { EXIT, HOST_READ_HINT, MkjailError } from '../errors.js';
import { hostPathExists } from '../fs/path-in-root.js';
import type { Recipe } from '../recipe/merge-recipes.js';
import { deniedLine, forField, type Origin, reasonField, recipeError, type Sourced } from '../recipe/recipe-error.js';
import { type ConfigSpec, DEVICE_NUMBERS, type DeviceSpec, type GeneratedSpec, type WritableSpec } from '../recipe/schema.js';
import { findConfigFollower } from '../resolve/config-followers/index.js';
import type { ConfigFollowResult } from '../resolve/config-followers/types.js';
import { existsBelow } from '../fs/open-below.js';
import { timed } from '../timings.js';
import { TOOL_VERSION } from '../version.js';
import { type RunCapability, SELF_CHROOT_CAPABILITIES, SERVICE_CAPABILITIES } from '../recipe/run-shapes.js';
import { type Identity, MANIFEST_FORMAT, type Manifest, manifestSchema } from './manifest.js';
import { type Content, PlanBuilder } from './plan-builder.js';
import { hostAccounts, type PendingAccounts, prefetchHostAccounts } from './host-accounts.js';
import { expectToHash } from './host-digests.js';
import { planBinaries } from './plan-binaries.js';
import { letServiceReadPrivateFiles, planHostCopy, planHostPath } from './plan-host-path.js';
import { accountsToCreate, checkAccount, planIdentityFiles, refuseOwnAccountFiles, resolveIdentity } from './plan-identity.js';
import { planLinks } from './plan-links.js';
import { lookedUpAccounts } from './looked-up-accounts.js';
import { nssModules, planNss } from './plan-nss.js';
import { planRuntimeFiles, runtimeObjects } from './plan-runtime.js';
import { planWritable } from './plan-writable.js';
import { DEV_DIR_MODE, DEVICE_MODE, DIR_MODE, FILE_MODE, PRIVATE_FILE_MODE, PRIVATE_PROGRAM_MODE, ROOT_GID, ROOT_UID, SYMLINK_MODE, SYSLOG_SOCKET, serviceGroupMode } from './policy.js';

export interface Plan {
  manifest: Manifest;
  /** Where the bytes of every file entry come from. */
  contents: Map<string, Content>;
  warnings: string[];
  /** With `accountsToCreate`: the accounts `createUser` will add that the host lacks, planned with placeholder ids. */
  pendingAccounts?: PendingAccounts;
}

export interface PlanOptions {
  /** The jail being replaced: writable files the service changed there keep their content. */
  previousRoot?: string;
  /** Accounts `createUser` will add but that do not exist yet (`build --check`): planned with placeholder ids. */
  pendingAccounts?: PendingAccounts | undefined;
  /** Finds those accounts itself (accountsToCreate), once the host has answered, and returns them with the plan. */
  accountsToCreate?: boolean;
}

/**
 * Starts what the plan of `recipe` will wait for: the digest workers when its programs are big, and
 * the host's accounts looked up (getent and id, in one shell), which the plan awaits only once it has
 * done what needs no account. Never rejects.
 */
function startLookups(recipe: Recipe): Promise<void> {
  expectToHash(recipe.binaries.map((binary) => binary.value));
  return prefetchHostAccounts(recipe.user?.value, recipe.group?.value);
}

export async function buildPlan(recipe: Recipe, options: PlanOptions = {}): Promise<Plan> {
  try {
    return await planRecipe(recipe, options);
  } catch (error) {
    throw deniedLine(error, (what) => new MkjailError(`Can't read ${what}`, { exitCode: EXIT.environment, hint: HOST_READ_HINT }));
  }
}

async function planRecipe(recipe: Recipe, options: PlanOptions): Promise<Plan> {
  const plan = new PlanBuilder();
  try {
    return await planInto(plan, recipe, options);
  } catch (error) {
    plan.digests.abandon();
    throw error;
  }
}

async function planInto(plan: PlanBuilder, recipe: Recipe, options: PlanOptions): Promise<Plan> {
  // While the host is asked about the service's accounts, what needs none: configs and programs.
  const asked = startLookups(recipe);
  const configs = followConfigs(recipe);
  planBinaries(plan, [...recipe.binaries, ...loadedCode(configs), ...nssModules(recipe), ...runtimeObjects(recipe)]);
  await asked;
  const pendingAccounts = options.accountsToCreate ? accountsToCreate(recipe) : options.pendingAccounts;
  const accounts = hostAccounts(pendingAccounts);
  const identity = resolveIdentity(recipe, accounts);
  planFiles(plan, recipe);
  planGenerated(plan, recipe.generated);
  const followed = planConfigs(plan, recipe, configs, options.previousRoot);
  planNss(plan, recipe, identity);
  planRuntimeFiles(plan, recipe);
  planDirs(plan, recipe.dirs);
  planDevices(plan, recipe.devices);
  const syslog = planSyslog(plan, recipe.syslog);
  if (identity) letServiceReadPrivateFiles(plan, identity, accounts);
  keepSecretsPrivate(plan, configs, identity);
  refuseOwnAccountFiles(plan, recipe);
  if (identity) planIdentityFiles(plan, identity, recipe.account?.value, lookedUpAccounts(recipe, accounts, identity));
  planLinks(plan, recipe.links);
  const writable = planWritable(plan, [...recipe.writable, ...followed], options.previousRoot, accounts);
  checkAccount(plan, recipe.account, identity);
  const run = planRun(plan, recipe);
  // Counted apart: what the plan still waits for, and hashes itself, once everything is resolved.
  await timed('hash', () => plan.settleDigests());
  // Parsed through the schema: asserts the plan is a valid manifest and fixes the key order on disk.
  const manifest: Manifest = manifestSchema.parse({
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: TOOL_VERSION },
    recipe: { name: recipe.name, sha256: recipe.sha256 },
    identity,
    writable,
    run,
    ...(syslog ? { syslog } : {}),
    ...planSshd(recipe, identity),
    ...(recipe.allow.length > 0 ? { allow: recipe.allow.map((a) => a.value) } : {}),
    entries: plan.sorted(),
  });
  return { manifest, contents: plan.contents, warnings: plan.warnings, ...(pendingAccounts ? { pendingAccounts } : {}) };
}

function planFiles(plan: PlanBuilder, recipe: Recipe): void {
  for (const { value, origin } of recipe.files) forField(origin, () => planFile(plan, value, origin));
}

function planFile(plan: PlanBuilder, value: Recipe['files'][number]['value'], origin: Origin): void {
  const reasons = [{ kind: 'recipe' as const, field: reasonField(origin) }];
  if (!hostPathExists(value.from)) {
    throw recipeError(origin, `host file ${value.from} does not exist`, 'create it, or fix the path (a relative from is relative to the recipe file)');
  }
  const refuse = (what: string, hint: string) => recipeError(origin, what, hint);
  if (value.keepLinks) planHostPath(plan, value.from, reasons, undefined, refuse);
  else {
    const through = plan.symlinkOnTheWay(value.to);
    if (through) throw recipeError(origin, `${value.to} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
    planHostCopy(plan, value.from, value.to, reasons, refuse);
  }
}

/** A recipe config with what its follower found; `generated` when the recipe writes the config itself. */
interface FollowedConfig {
  spec: Sourced<ConfigSpec>;
  result: ConfigFollowResult;
  generated: boolean;
}

/** Follows each config (reads the host, plans nothing). */
function followConfigs(recipe: Recipe): FollowedConfig[] {
  return recipe.configs.map((spec) => forField(spec.origin, () => followConfig(recipe, spec)));
}

function followConfig(recipe: Recipe, spec: Sourced<ConfigSpec>): FollowedConfig {
  const { value, origin } = spec;
  const follower = findConfigFollower(value.format);
  if (!follower) throw recipeError({ ...origin, field: `${origin.field}.format` }, `no follower for config format '${value.format}'`, "use a known format: 'named.conf', 'nginx.conf' or 'unbound.conf'");
  const text = recipe.generated.find((g) => g.value.path === value.path)?.value.text;
  if (text === undefined && !hostPathExists(value.path)) throw recipeError({ ...origin, field: `${origin.field}.path` }, `host file ${value.path} does not exist`, 'fix the path (or set the variable that holds it)');
  const result = follower.follow('/', value.path, text);
  if (!result.files.some((f) => f.path === value.path)) result.files.unshift({ path: value.path, by: value.path, what: 'the configuration itself' });
  return { spec, result, generated: text !== undefined };
}

/** The code the configs load (dlopen'd plugins, nginx's load_module): each goes in with its whole ELF closure, as a binary does. */
function loadedCode(configs: FollowedConfig[]): Sourced<string>[] {
  return configs.flatMap(({ spec, result }) => result.files.filter((f) => f.loaded).map((f) => ({ value: f.path, origin: { ...spec.origin, field: `${spec.origin.field} (${f.what}, in ${f.by})` } })));
}

/** The files a recipe writes itself: root-owned, readable by all, the recipe field as their reason. */
function planGenerated(plan: PlanBuilder, generated: Sourced<GeneratedSpec>[]): void {
  for (const { value, origin } of generated) {
    const through = plan.symlinkOnTheWay(value.path);
    if (through) throw recipeError(origin, `${value.path} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
    const data = Buffer.from(value.text, 'utf8');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const entry = { type: 'file' as const, path: value.path, mode: FILE_MODE, uid: ROOT_UID, gid: ROOT_GID, size: data.length, sha256, reasons: [{ kind: 'recipe' as const, field: reasonField(origin) }] };
    plan.add(entry, { kind: 'bytes', data });
  }
}

/**
 * Plans the files each config names; returns the writable paths it found that the recipe did not
 * declare. State the service left on the host comes in on the first build, and later only while the
 * previous jail still has it (the jail's copy is then carried over): what the service removed in the
 * jail never comes back from the host.
 */
function planConfigs(plan: PlanBuilder, recipe: Recipe, configs: FollowedConfig[], previousRoot: string | undefined): Sourced<WritableSpec>[] {
  const writable: Sourced<WritableSpec>[] = [];
  const declare = (path: string, why: string, mode: number, origin: Origin) => {
    if (recipe.writable.some((w) => w.value.path === path) || writable.some((w) => w.value.path === path)) return;
    if (!recipe.user) throw recipeError(origin, `${path} must be writable (${why}) but the recipe has no user`, 'declare user (and group), or declare the writable path yourself');
    const owner = recipe.user.value;
    writable.push({ value: { path, owner, group: recipe.group?.value ?? owner, mode, why }, origin });
  };
  for (const { spec, result, generated } of configs) {
    const { value, origin } = spec;
    for (const file of result.files) {
      if (generated && file.path === value.path) continue;
      if (file.state && previousRoot && !existsBelow(previousRoot, file.path)) continue;
      const reasons = [{ kind: 'config' as const, by: file.by, what: file.what }];
      if (planHostPath(plan, file.path, reasons)) {
        if (file.state === 'written') declare(file.path, `${file.what}: the service rewrites it`, 0o600, origin);
        continue;
      }
      if (plan.get(file.path)) continue; // the recipe brings it in itself (a seed for a file the service rewrites)
      if (file.optional || file.state) plan.warnings.push(`optional file ${file.path} (${file.what}, in ${file.by}) is not on the host; the jail goes without it`);
      else throw recipeError(origin, `${file.path} (${file.what}, in ${file.by}) does not exist on the host`, 'create it, or fix the configuration');
    }
    plan.warnings.push(...(result.warnings ?? []));
    for (const dir of result.writable) declare(dir.path, dir.what, 0o700, origin);
  }
  return writable;
}

/**
 * A secret a config names (a TLS private key) is never readable by others in the jail, even when the
 * host lets everyone read it: 0440 root:<service group> (root alone, 0400, without a service identity).
 */
function keepSecretsPrivate(plan: PlanBuilder, configs: FollowedConfig[], identity: Identity | null): void {
  for (const file of configs.flatMap((c) => c.result.files.filter((f) => f.private))) {
    const entry = plan.resolve(file.path);
    if (entry?.type !== 'file' || entry.uid !== ROOT_UID || entry.gid !== ROOT_GID) continue;
    if ((Number.parseInt(entry.mode, 8) & 0o004) === 0) continue;
    const rootOnly = (Number.parseInt(entry.mode, 8) & 0o111) !== 0 ? PRIVATE_PROGRAM_MODE : PRIVATE_FILE_MODE;
    const mode = identity ? (serviceGroupMode(rootOnly) ?? rootOnly) : rootOnly;
    plan.replace({ ...entry, mode, gid: identity ? identity.gid : ROOT_GID });
  }
}

function planDirs(plan: PlanBuilder, dirs: Sourced<string>[]): void {
  for (const { value, origin } of dirs) {
    const through = plan.symlinkOnTheWay(value);
    if (through) throw recipeError(origin, `${value} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
    plan.add({ type: 'dir', path: value, mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [{ kind: 'recipe', field: reasonField(origin) }] });
  }
}

function planDevices(plan: PlanBuilder, devices: Sourced<DeviceSpec>[]): void {
  if (devices.length === 0) return;
  plan.add({ type: 'dir', path: '/dev', mode: DEV_DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [{ kind: 'device', why: 'holds the device nodes, search only' }] });
  for (const { value } of devices) {
    const name = value === 'null' ? 'null' : value.name;
    const why = value === 'null' ? 'the service opens /dev/null (the only device a jail needs)' : value.why;
    if (name !== 'null') plan.warnings.push(`device /dev/${name} is in the jail (${why}): every device beyond /dev/null is more for an intruder to use`);
    const { major, minor } = DEVICE_NUMBERS[name];
    plan.add({ type: 'chardev', path: `/dev/${name}`, mode: DEVICE_MODE, uid: ROOT_UID, gid: ROOT_GID, major, minor, reasons: [{ kind: 'device', why }] });
  }
}

/** `syslog: true`: a /dev for the socket the host's rsyslog makes there; the socket itself is no entry. */
function planSyslog(plan: PlanBuilder, syslog: Sourced<boolean> | undefined): Manifest['syslog'] {
  if (!syslog?.value) return undefined;
  const existing = plan.get(SYSLOG_SOCKET);
  if (existing) throw recipeError(syslog.origin, `the jail already holds ${SYSLOG_SOCKET} (${existing.type}), where rsyslog would make its socket`, `leave ${SYSLOG_SOCKET} out of the other fields`);
  plan.add({ type: 'dir', path: '/dev', mode: DEV_DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [{ kind: 'device', why: 'holds the device nodes, search only' }] });
  return { socket: SYSLOG_SOCKET };
}

/** `sshd`: a tree-only jail with a user, for the Match block beside it. */
function planSshd(recipe: Recipe, identity: Identity | null): Pick<Manifest, 'sshd'> {
  if (!recipe.sshd) return {};
  const { value, origin } = recipe.sshd;
  if (!identity) throw recipeError(origin, 'sshd needs the user who logs in', 'declare user (and group)');
  return { sshd: value.forceCommand === undefined ? {} : { forceCommand: value.forceCommand } };
}

function planRun(plan: PlanBuilder, recipe: Recipe): Manifest['run'] {
  if (!recipe.run) return null;
  const { value, origin } = recipe.run;
  const chroot = value.chroot ?? 'launcher';
  const program = value.argv[0] ?? '';
  const argvOrigin = { ...origin, field: `${origin.field}.argv.0` };
  if (!program.startsWith('/')) throw recipeError(argvOrigin, `${program} is not an absolute path`, 'give the program as an absolute path');
  if (chroot === 'launcher') {
    const entry = plan.resolve(program);
    if (entry?.type !== 'file' || (Number.parseInt(entry.mode, 8) & 0o111) === 0) {
      throw recipeError(argvOrigin, `${program} is not a program in the jail`, 'add it to binaries (argv[0] is a path inside the jail)');
    }
  } else if (!hostPathExists(program)) {
    throw recipeError(argvOrigin, `host program ${program} does not exist`, "with chroot: 'self', argv[0] is a host path of a daemon that chroots itself");
  }
  const capabilities = keptCapabilities(value.capabilities ?? [], chroot, { ...origin, field: `${origin.field}.capabilities` });
  if (value.interactive && chroot === 'self') {
    throw recipeError({ ...origin, field: `${origin.field}.interactive` }, "an interactive program is chrooted by the launcher, which relays its terminal", "use chroot: 'launcher', or remove interactive");
  }
  if (value.interactive && !value.pts) {
    throw recipeError({ ...origin, field: `${origin.field}.interactive` }, 'an interactive program gets its pseudo-terminal from the jail\'s own devpts', "add pts: { why: '...' } to run");
  }
  if (value.pts) planPts(plan, value.pts.why);
  return {
    argv: value.argv,
    env: value.env ?? {},
    chroot,
    ...(capabilities.length > 0 ? { capabilities } : {}),
    ...(value.network === 'none' ? { network: 'none' as const } : {}),
    ...(value.share ? { share: value.share } : {}),
    ...(value.interactive ? { interactive: true as const } : {}),
    ...(value.pts ? { pts: value.pts } : {}),
  };
}

/** /dev/pts, where the launcher mounts a private devpts instance, and /dev/ptmx, the instance's multiplexer. */
function planPts(plan: PlanBuilder, why: string): void {
  const reasons = [{ kind: 'device' as const, why }];
  plan.add({ type: 'dir', path: '/dev', mode: DEV_DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [{ kind: 'device', why: 'holds the device nodes, search only' }] });
  plan.add({ type: 'dir', path: '/dev/pts', mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons });
  plan.add({ type: 'symlink', path: '/dev/ptmx', mode: SYMLINK_MODE, uid: ROOT_UID, gid: ROOT_GID, target: 'pts/ptmx', reasons });
}

/**
 * chroot 'launcher': what the program keeps after the drop; chroot 'self': the bounding set the daemon
 * starts with. Each checked against its mode's allowlist; once each, in allowlist order.
 */
function keptCapabilities(asked: RunCapability[], chroot: 'launcher' | 'self', origin: Origin): RunCapability[] {
  const allowed: readonly RunCapability[] = chroot === 'self' ? SELF_CHROOT_CAPABILITIES : SERVICE_CAPABILITIES;
  const index = asked.findIndex((capability) => !allowed.includes(capability));
  if (index >= 0) {
    const words = chroot === 'self' ? `a self-chrooting daemon's bounding set holds only ${allowed.join(', ')}` : `a program the launcher drops to its user keeps only ${allowed.join(', ')}`;
    throw recipeError({ ...origin, field: `${origin.field}.${index}` }, `${asked[index]} is not allowed with chroot: '${chroot}': ${words}`, 'remove it (see the run.capabilities allowlists in docs/recipes.md)');
  }
  return allowed.filter((capability) => asked.includes(capability));
}
