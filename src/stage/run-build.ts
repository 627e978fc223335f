// `mkjail build` as a sequence of steps: load the recipe, check the output, plan, compare with what is
// there, then stage and swap the tree (or write the tar) and the artifacts. Nothing is written before
// every input has been validated, and nothing at all when nothing would change.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT, MkjailError } from '../errors.js';
import { timed } from '../timings.js';
import { flushBeforeRenames, renameDurably, renameFlushed } from '../fs/durable.js';
import { removeTree } from '../fs/remove-tree.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import type { PendingAccounts } from '../plan/host-accounts.js';
import { keepDigestCache, useDigestCache } from '../plan/digest-cache.js';
import { useLoaderReportCache } from '../resolve/loader-report-cache.js';
import { NOLOGIN_SHELL } from '../plan/policy.js';
import { type Manifest, readManifest } from '../plan/manifest.js';
import { loadRecipe, type RecipeModules } from '../recipe/load-recipe.js';
import type { Recipe } from '../recipe/merge-recipes.js';
import { type Artifact, changedArtifacts, commitArtifacts, removeStaleArtifacts, renderArtifacts, stageArtifacts, stagedArtifactPath } from './artifacts.js';
import { hostMounts } from './mount-options.js';
import { SCRIPTS_FIX, TREE_FIX, checkFileSystemKeeps, treeNeeds } from './file-system-keeps.js';
import { checkDeviceNodes, checkRoom, freeBytes, roundUp, treeBytes, writingCleanly } from './room.js';
import { acquireBuildLock } from './build-lock.js';
import { type OutputLayout, outputLayout } from '../plan/output-layout.js';
import { STAGING_PREFIX, checkOutputDir, claimOutputDir, removeLeftovers } from './output-dir.js';
import { registerJail } from './jail-registry.js';
import { type CreatedAccount, createServiceAccounts } from './service-accounts.js';
import { sshdChrootWarning } from './sshd-chroot.js';
import { artifactChanges, entryChanges, treeChanges } from './plan-changes.js';
import { swapTree } from './swap-tree.js';
import { archiveMtime, tarSha256, writeTar } from './write-tar.js';
import { writeTree } from './write-tree.js';

export interface BuildOptions {
  recipe: string;
  out: string;
  set?: Record<string, string>;
  /** Report what would change; write nothing. */
  check?: boolean;
  /** Write the jail as this tar instead of DIR/root. */
  tar?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Recipe exports kept across the builds of one process (`build --jobs`). */
  recipeModules?: RecipeModules;
}

export interface BuildResult {
  changed: boolean;
  dir: string;
  /** DIR/root, or null for a --tar build. */
  root: string | null;
  manifest: string;
  tar: string | null;
  recipe: string;
  entries: number;
  bytes: number;
  warnings: string[];
  /** What changed (or, with --check, would change): one line each. */
  changes: string[];
  /** Host accounts this build created for the service (`createUser`); with --check, those it would create (id null). */
  createdAccounts: Array<{ type: 'user' | 'group'; name: string; id: number | null }>;
}

/** Runs `title`'s work; the CLI shows it as a progress step. */
export type StepRunner = <T>(title: string, work: () => T | Promise<T>) => Promise<T>;

const plainSteps: StepRunner = async (_title, work) => work();

/** Everything a build decided before writing anything. */
interface PreparedBuild {
  recipe: Recipe;
  /** Service accounts `createUser` asks for that the host lacks; planned with placeholder ids. */
  pendingAccounts: PendingAccounts | undefined;
  plan: Plan;
  layout: OutputLayout;
  tar: string | undefined;
  mtime: number;
  previousRoot: string | undefined;
  previous: Manifest | undefined;
  artifacts: Artifact[];
  /** The tree (or tar) changes, and the artifacts to rewrite. */
  payload: string[];
  toWrite: Artifact[];
  warnings: string[];
}

export async function runBuild(options: BuildOptions, step: StepRunner = plainSteps): Promise<BuildResult> {
  const { build, accounts } = await prepareWithAccounts(options, step);
  timed('hash', keepDigestCache);
  const changes = allChanges(build, accounts);
  const result = { ...summary(build, changes), createdAccounts: accounts };
  if (options.check) return result;
  // A killed build's leftovers are cleaned even when nothing else changes.
  if (changes.length > 0 || hasLeftovers(build.layout.dir)) await applyBuild(build, step);
  register(build, options);
  return result;
}

/**
 * Prepares a build; when `createUser` asks for accounts the host lacks, creates them (never with
 * --check) and plans again with the ids the host gave: the first plan only validated the whole recipe.
 */
async function prepareWithAccounts(options: BuildOptions, step: StepRunner): Promise<{ build: PreparedBuild; accounts: BuildResult['createdAccounts'] }> {
  const build = await prepareBuild(options, step);
  const pending = build.pendingAccounts;
  if (!pending || options.check) return { build, accounts: pendingList(pending) };
  const accounts = await step('Create the service user', () => createAccounts(pending, build.recipe.name));
  const again = await prepareBuild(options, step);
  if (again.pendingAccounts) throw new Error(`service accounts still missing after they were created: ${JSON.stringify(again.pendingAccounts)}`);
  return { build: again, accounts };
}

function allChanges(build: PreparedBuild, accounts: BuildResult['createdAccounts']): string[] {
  return [...accounts.map(accountChange), ...entryChanges(build.previous, build.plan.manifest), ...build.payload, ...artifactChanges(build.toWrite)];
}

/** The host's list of jails and their users (the audit's shared-service-user rule); only a tree is a jail here. */
function register(build: PreparedBuild, options: BuildOptions): void {
  if (build.tar === undefined) registerJail(build.layout.dir, build.plan.manifest, options.env ?? process.env);
}

/** Loads, validates, plans and compares: reads the host and DIR, writes nothing. */
async function prepareBuild(options: BuildOptions, step: StepRunner): Promise<PreparedBuild> {
  const cwd = options.cwd ?? process.cwd();
  const tar = options.tar === undefined ? undefined : resolve(cwd, options.tar);
  const mtime = tar === undefined ? 0 : archiveMtime(options.env ?? process.env);
  const recipe = await step('Load the recipe', () => timed('recipe load', () => loadRecipe(options.recipe, { cwd, set: options.set ?? {}, cache: options.check ? 'read' : true, ...(options.recipeModules ? { modules: options.recipeModules } : {}) })));
  const { dir, warnings } = await step('Check the output directory', () => timed('output check', () => checkOutputDir(options.out, cwd, tar === undefined)));
  const layout = outputLayout(dir);
  if (tar !== undefined && existsSync(layout.root)) {
    throw new MkjailError(`Can't build a tar into output directory at ${dir}: it holds a jail tree (root/) whose manifest the tar's would replace`, {
      hint: 'give --tar builds their own --out directory',
    });
  }
  const previousRoot = tar === undefined && isDirectory(layout.root) ? layout.root : undefined;
  timed('hash', () => useDigestCache(!options.check, options.env ?? process.env));
  useLoaderReportCache(!options.check);
  const plan = await step('Plan the jail', () => timed('plan', () => buildPlan(recipe, { ...(previousRoot ? { previousRoot } : {}), accountsToCreate: true })));
  const pendingAccounts = plan.pendingAccounts;
  // Only root can give files away to other owners and create /dev/null; a tar needs neither. Checked
  // after the plan, so that a bad recipe is reported as such (exit 2) to anyone.
  if (tar === undefined && !options.check && process.geteuid?.() !== 0) {
    throw new MkjailError(`Can't build jail tree at ${dir}: not running as root (ownership and /dev/null need root)`, {
      exitCode: EXIT.environment,
      hint: 'run as root, or build a tar with --tar FILE (no root needed)',
    });
  }
  const artifacts = timed('artifacts', () => renderArtifacts(plan.manifest, layout));
  // The tree (or tar) is rewritten only when it differs from the new manifest; the scripts only when
  // their text does. A recipe edit that changes no entry rewrites manifest.json alone.
  const { payload, toWrite } = await step('Compare with the existing output', () => timed('compare', () => ({
    payload: tar === undefined ? treeChanges(layout.root, previousRoot !== undefined, plan.manifest) : tarChanges(plan, tar, mtime),
    toWrite: changedArtifacts(artifacts),
  })));
  const previous = timed('compare', () => readPreviousManifest(layout.manifest));
  const treeOnly = tar === undefined && plan.manifest.sshd ? sshdChrootWarning(layout.root) : undefined;
  const allWarnings = [...warnings, ...plan.warnings, ...(treeOnly ? [treeOnly] : [])];
  return { recipe, pendingAccounts, plan, layout, tar, mtime, previousRoot, previous, artifacts, payload, toWrite, warnings: allWarnings };
}

/** A build whose tree and scripts wait staged in DIR, under DIR's lock, for the flush before their renames. */
interface StagedBuild {
  build: PreparedBuild;
  staging: string;
  swapTreeIn: boolean;
  artifacts: Array<{ staged: string; final: string }>;
  release: () => void;
}

/** Writes what changed, under DIR's lock: the tree (staged, then swapped in) or the tar, then the scripts. */
async function applyBuild(build: PreparedBuild, step: StepRunner): Promise<void> {
  const staged = await stageBuild(build, step);
  try {
    // The tree and the scripts wait staged in DIR: one flush of the file system puts both on disk before
    // either is renamed into place (the tree first, then the scripts that describe it).
    if (staged.swapTreeIn || staged.artifacts.length > 0) flushBeforeRenames(build.layout.dir);
  } catch (error) {
    staged.release();
    throw error;
  }
  await commitBuild(staged, step);
}

/** Takes DIR's lock and writes the new tree (or the tar, durably) and the scripts beside their final names. */
async function stageBuild(build: PreparedBuild, step: StepRunner): Promise<StagedBuild> {
  const { layout, plan, tar } = build;
  checkFileSystem(build);
  const release = writingCleanly('the output directory', layout.dir, () => {
    claimOutputDir(layout.dir);
    return acquireBuildLock(layout.dir);
  }, () => undefined);
  try {
    removeLeftovers(layout.dir);
    if (build.payload.length > 0 && tar !== undefined) await step(`Write the tar ${tar}`, () => timed('stage', () => replaceTar(plan, tar, build.mtime)));
    const swapTreeIn = build.payload.length > 0 && tar === undefined;
    const staging = join(layout.dir, `${STAGING_PREFIX}${process.pid}`);
    const unstageTree = () => (swapTreeIn ? removeTree(staging) : undefined);
    if (swapTreeIn) await step(`Stage the new jail beside ${layout.root}`, () => timed('stage', () => writingCleanly('the new jail', staging, () => writeTree(plan, staging, build.previousRoot), unstageTree)));
    const artifacts = build.toWrite.length > 0 ? timed('artifacts', () => stageArtifactsCleanly(build, unstageTree)) : [];
    return { build, staging, swapTreeIn, artifacts, release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Writes the scripts beside their final names; when that fails (a full disk), removes what was staged,
 * the new tree included, so nothing half-written is left.
 */
function stageArtifactsCleanly(build: PreparedBuild, unstageTree: () => void): Array<{ staged: string; final: string }> {
  let staged: Array<{ staged: string; final: string }> = [];
  const unstage = () => {
    for (const artifact of build.toWrite) rmSync(stagedArtifactPath(artifact.path), { force: true });
    unstageTree();
  };
  writingCleanly('the manifest and scripts', build.layout.dir, () => {
    staged = stageArtifacts(build.toWrite);
  }, unstage);
  return staged;
}

/** Renames what stageBuild wrote into place (flushed before: flushBeforeRenames), then releases the lock. */
async function commitBuild(staged: StagedBuild, step: StepRunner): Promise<void> {
  const { build, staging, artifacts } = staged;
  const { layout } = build;
  try {
    if (staged.swapTreeIn) {
      await step(`Swap it into ${layout.root} and remove the old one`, () => timed('swap', () => {
        renameFlushed(layout.dir, () => swapTree(staging, layout.root));
        removeTree(staging);
      }));
    }
    if (artifacts.length > 0) {
      await step('Write the manifest and scripts', () => timed('artifacts', () => {
        renameFlushed(layout.dir, () => commitArtifacts(artifacts));
        removeStaleArtifacts(layout, build.artifacts, build.previous);
      }));
    }
  } finally {
    staged.release();
  }
}

/** Creates the missing service accounts; only root can. */
function createAccounts(pending: PendingAccounts, recipeName: string): CreatedAccount[] {
  if (process.geteuid?.() !== 0) {
    const what = pending.user !== undefined ? `user ${pending.user}` : `group ${pending.group ?? ''}`;
    throw new MkjailError(`Can't create system ${what} on the host: not running as root (the recipe says createUser: true)`, {
      exitCode: EXIT.environment,
      hint: 'run the build as root once, or create the account yourself (useradd --system)',
    });
  }
  return createServiceAccounts(pending, recipeName);
}

/** The accounts a --check build would create, group first, as createServiceAccounts creates them. */
function pendingList(pending: PendingAccounts | undefined): BuildResult['createdAccounts'] {
  if (!pending) return [];
  return [
    ...(pending.group !== undefined ? [{ type: 'group' as const, name: pending.group, id: null }] : []),
    ...(pending.user !== undefined ? [{ type: 'user' as const, name: pending.user, id: null }] : []),
  ];
}

function accountChange(account: BuildResult['createdAccounts'][number]): string {
  const id = account.id === null ? '' : ` (${account.type === 'user' ? 'uid' : 'gid'} ${account.id})`;
  return account.type === 'user' ? `create system user ${account.name}${id}: no home, shell ${NOLOGIN_SHELL}` : `create system group ${account.name}${id}`;
}

/** The job of `runBuilds` that failed (0-based), with what it threw and the results of the jobs before it. */
export class BuildsFailure extends Error {
  constructor(readonly index: number, readonly error: unknown, readonly results: BuildResult[]) {
    super(`build ${index + 1} failed`);
  }
}

/**
 * Many builds in one process, as `runBuild` each, but staged first and flushed together: every job is
 * planned and staged under its own lock, then one flush per file system puts them all on disk, then
 * each is renamed into place. Each rename still comes after the flush of everything it brings in. The
 * first job that fails stops the others from starting; those staged before it are still committed,
 * and a BuildsFailure names it.
 */
export async function runBuilds(jobs: BuildOptions[]): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  const staged: Array<{ index: number; staged: StagedBuild }> = [];
  /** Jobs in place once the loop and the commits are done: unchanged ones at once, staged ones when committed. */
  const inPlace = new Map<number, () => void>();
  let failure: BuildsFailure | undefined;
  for (const [index, options] of jobs.entries()) {
    try {
      const { build, accounts } = await prepareWithAccounts(options, plainSteps);
      timed('hash', keepDigestCache);
      const changes = allChanges(build, accounts);
      results.push({ ...summary(build, changes), createdAccounts: accounts });
      if (options.check) continue;
      if (changes.length > 0 || hasLeftovers(build.layout.dir)) staged.push({ index, staged: await stageBuild(build, plainSteps) });
      else inPlace.set(index, () => register(build, options));
    } catch (error) {
      failure = new BuildsFailure(index, error, results.slice(0, index));
      break;
    }
  }
  /** How many of `staged` commitBuild took over (it releases their locks itself). */
  let committing = 0;
  try {
    for (const dir of oneDirPerFileSystem(staged.map((s) => s.staged.build.layout.dir))) flushBeforeRenames(dir);
    for (const { index, staged: build } of staged) {
      committing++;
      await commitBuild(build, plainSteps);
      inPlace.set(index, () => register(build.build, jobs[index] as BuildOptions));
    }
  } catch (error) {
    const index = staged[Math.max(0, committing - 1)]?.index ?? 0;
    failure ??= new BuildsFailure(index, error, results.slice(0, index));
  } finally {
    for (const rest of staged.slice(committing)) rest.staged.release();
  }
  for (const registerJob of inPlace.values()) registerJob();
  if (failure) throw failure;
  return results;
}

function oneDirPerFileSystem(dirs: string[]): string[] {
  const byDevice = new Map<number, string>();
  for (const dir of dirs) {
    const device = lstatSync(dir).dev;
    if (!byDevice.has(device)) byDevice.set(device, dir);
  }
  return [...byDevice.values()];
}

/**
 * Before anything is written: a file system that keeps owners, modes and symlinks (for the scripts, modes),
 * room on it for the new tree (or tar) and the scripts, which are written beside the old ones, and device
 * nodes that can be opened where the jail holds some.
 */
function checkFileSystem(build: PreparedBuild): void {
  const { layout, plan, tar } = build;
  const mounts = hostMounts();
  const scripts = build.toWrite.reduce((sum, a) => sum + Buffer.byteLength(a.text), 0);
  if (tar !== undefined) {
    const { block } = freeBytes(dirname(tar));
    const archive = build.payload.length > 0 ? tarBytes(plan.manifest) : 0;
    if (dirname(tar) === layout.dir) checkRoom(`the tar ${tar}`, layout.dir, roundUp(archive, block) + roundUp(scripts, block));
    else {
      checkRoom(`the tar ${tar}`, dirname(tar), roundUp(archive, block));
      checkRoom('the manifest and scripts', layout.dir, roundUp(scripts, freeBytes(layout.dir).block));
    }
    checkFileSystemKeeps(`the manifest and scripts in ${layout.dir}`, layout.dir, { owner: undefined, symlinks: false }, mounts, SCRIPTS_FIX);
    return;
  }
  checkFileSystemKeeps(`jail tree at ${layout.root}`, layout.dir, treeNeeds(plan.manifest), mounts, TREE_FIX);
  if (build.payload.length > 0) checkDeviceNodes(layout.dir, plan.manifest, mounts);
  const { block } = freeBytes(layout.dir);
  const tree = build.payload.length > 0 ? treeBytes(plan.manifest, block, build.previousRoot) : 0;
  checkRoom(`jail tree at ${layout.root}`, layout.dir, tree + roundUp(scripts, block) + build.toWrite.length * block);
}

/** The size of the tar of `manifest`: a header and whole 512-byte blocks per entry, the end blocks, padded to a record. */
function tarBytes(manifest: Manifest): number {
  const blocks = manifest.entries.reduce((sum, e) => sum + 512 * 2 + (e.type === 'file' ? roundUp(e.size, 512) : 0), 1024);
  return roundUp(blocks, 20 * 512);
}

function replaceTar(plan: Plan, tar: string, mtime: number): void {
  const staged = join(dirname(tar), `${STAGING_PREFIX}${process.pid}-${basename(tar)}`);
  writingCleanly('the tar', tar, () => writeTar(plan, staged, mtime), () => rmSync(staged, { force: true }));
  renameDurably(dirname(tar), () => renameSync(staged, tar));
}

function tarChanges(plan: Plan, tar: string, mtime: number): string[] {
  if (!existsSync(tar)) return [`write ${tar}`];
  const current = createHash('sha256').update(readFileSync(tar)).digest('hex');
  return current === tarSha256(plan, mtime) ? [] : [`write ${tar}`];
}

function readPreviousManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readManifest(path);
  } catch {
    return undefined;
  }
}

function hasLeftovers(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory() && readdirSync(dir).some((n) => n.startsWith(STAGING_PREFIX) || n === '.mkjail-lock');
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function summary(build: PreparedBuild, changes: string[]): Omit<BuildResult, 'createdAccounts'> {
  const { manifest } = build.plan;
  return {
    changed: changes.length > 0,
    dir: build.layout.dir,
    root: build.tar === undefined ? build.layout.root : null,
    manifest: build.layout.manifest,
    tar: build.tar ?? null,
    recipe: build.recipe.file,
    entries: manifest.entries.length,
    bytes: manifest.entries.reduce((sum, e) => sum + (e.type === 'file' ? e.size : 0), 0),
    warnings: build.warnings,
    changes,
  };
}
