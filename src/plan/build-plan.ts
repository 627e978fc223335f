// Draws the whole jail from a recipe: every entry with owner, mode, content hash and reasons (the
// manifest), where each file's bytes come from, and the warnings. Reads the host; writes nothing.
import { existsSync } from 'node:fs';
import type { Recipe } from '../recipe/merge-recipes.js';
import { type Origin, reasonField, recipeError, type Sourced } from '../recipe/recipe-error.js';
import { DEVICE_NUMBERS, type DeviceSpec, type WritableSpec } from '../recipe/schema.js';
import { findConfigFollower } from '../resolve/config-followers/index.js';
import type { ConfigFollowResult } from '../resolve/config-followers/types.js';
import { existsBelow } from '../fs/open-below.js';
import { TOOL_VERSION } from '../version.js';
import { SERVICE_CAPABILITIES, type ServiceCapability } from '../recipe/run-shapes.js';
import { MANIFEST_FORMAT, type Manifest, manifestSchema } from './manifest.js';
import { type Content, PlanBuilder } from './plan-builder.js';
import { planBinaries } from './plan-binaries.js';
import { letServiceReadPrivateFiles, planCopyFollowingLinks, planHostPath } from './plan-host-path.js';
import { planIdentityFiles, resolveIdentity } from './plan-identity.js';
import { planWritable } from './plan-writable.js';
import { DEV_DIR_MODE, DEVICE_MODE, DIR_MODE, ROOT_GID, ROOT_UID } from './policy.js';

export interface Plan {
  manifest: Manifest;
  /** Where the bytes of every file entry come from. */
  contents: Map<string, Content>;
  warnings: string[];
}

export interface PlanOptions {
  /** The jail being replaced: writable files the service changed there keep their content. */
  previousRoot?: string;
}

export function buildPlan(recipe: Recipe, options: PlanOptions = {}): Plan {
  const plan = new PlanBuilder();
  const identity = resolveIdentity(recipe);
  const configs = followConfigs(recipe);
  planBinaries(plan, [...recipe.binaries, ...loadedLibraries(configs)]);
  planFiles(plan, recipe);
  const followed = planConfigs(plan, recipe, configs, options.previousRoot);
  planDirs(plan, recipe.dirs);
  planDevices(plan, recipe.devices);
  if (identity) letServiceReadPrivateFiles(plan, identity);
  if (identity) planIdentityFiles(plan, identity);
  const writable = planWritable(plan, [...recipe.writable, ...followed], options.previousRoot);
  const run = planRun(plan, recipe);
  // Parsed through the schema: asserts the plan is a valid manifest and fixes the key order on disk.
  const manifest: Manifest = manifestSchema.parse({
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: TOOL_VERSION },
    recipe: { name: recipe.name, sha256: recipe.sha256 },
    identity,
    writable,
    run,
    entries: plan.sorted(),
  });
  return { manifest, contents: plan.contents, warnings: plan.warnings };
}

function planFiles(plan: PlanBuilder, recipe: Recipe): void {
  for (const { value, origin } of recipe.files) {
    const reasons = [{ kind: 'recipe' as const, field: reasonField(origin) }];
    if (!existsSync(value.from)) {
      throw recipeError(origin, `host file ${value.from} does not exist`, 'create it, or fix the path (a relative from is relative to the recipe file)');
    }
    if (value.keepLinks) planHostPath(plan, value.from, reasons);
    else {
      const through = plan.symlinkOnTheWay(value.to);
      if (through) throw recipeError(origin, `${value.to} goes through the symlink ${through} in the jail`, 'name the real path, without symlinks');
      planCopyFollowingLinks(plan, value.from, value.to, reasons);
    }
  }
}

/** A followed config, with the recipe entry that named it. */
interface FollowedConfig {
  result: ConfigFollowResult;
  origin: Origin;
}

/** Follows each config the recipe names (reads the host, plans nothing yet). */
function followConfigs(recipe: Recipe): FollowedConfig[] {
  return recipe.configs.map(({ value, origin }) => {
    const follower = findConfigFollower(value.format);
    if (!follower) throw recipeError({ ...origin, field: `${origin.field}.format` }, `no follower for config format '${value.format}'`, "use a known format such as 'named.conf'");
    if (!existsSync(value.path)) throw recipeError({ ...origin, field: `${origin.field}.path` }, `host file ${value.path} does not exist`, 'fix the path (or set the variable that holds it)');
    const result = follower.follow('/', value.path);
    if (!result.files.some((f) => f.path === value.path)) result.files.unshift({ path: value.path, by: value.path, what: 'the configuration itself' });
    return { result, origin };
  });
}

/** The ELF objects the service loads with dlopen (plugins): planned with their library closure, as binaries are. */
function loadedLibraries(configs: FollowedConfig[]): Sourced<string>[] {
  return configs.flatMap(({ result, origin }) => result.files.filter((f) => f.elf).map((f) => ({ value: f.path, origin })));
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
  for (const { result, origin } of configs) {
    for (const file of result.files) {
      if (file.state && previousRoot && !existsBelow(previousRoot, file.path)) continue;
      const reasons = [{ kind: 'config' as const, by: file.by, what: file.what }];
      if (planHostPath(plan, file.path, reasons)) {
        if (file.state === 'written') declare(file.path, `${file.what}: the service rewrites it`, 0o600, origin);
        continue;
      }
      if (file.optional || file.state) plan.warnings.push(`optional file ${file.path} (${file.what}, in ${file.by}) is not on the host; the jail goes without it`);
      else throw recipeError(origin, `${file.path} (${file.what}, in ${file.by}) does not exist on the host`, 'create it, or fix the configuration');
    }
    for (const dir of result.writable) declare(dir.path, dir.what, 0o700, origin);
  }
  return writable;
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
  } else if (!existsSync(program)) {
    throw recipeError(argvOrigin, `host program ${program} does not exist`, "with chroot: 'self', argv[0] is a host path of a daemon that chroots itself");
  }
  const capabilities = keptCapabilities(value.capabilities ?? [], chroot, { ...origin, field: `${origin.field}.capabilities` });
  return { argv: value.argv, env: value.env ?? {}, chroot, ...(capabilities.length > 0 ? { capabilities } : {}) };
}

/** The capabilities the launcher keeps, once each in allowlist order; only the launcher can keep any. */
function keptCapabilities(asked: ServiceCapability[], chroot: 'launcher' | 'self', origin: Origin): ServiceCapability[] {
  if (asked.length > 0 && chroot === 'self') {
    throw recipeError(origin, "capabilities are kept only when the launcher drops root (chroot: 'launcher'); a daemon that chroots itself keeps what it chooses", "remove run.capabilities, or use chroot: 'launcher'");
  }
  return SERVICE_CAPABILITIES.filter((capability) => asked.includes(capability));
}
