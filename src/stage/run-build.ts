// `mkjail build` as a sequence of steps: load the recipe, check the output, plan, compare with what is
// there, then stage and swap the tree (or write the tar) and the artifacts. Nothing is written before
// every input has been validated, and nothing at all when nothing would change.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT, MkjailError } from '../errors.js';
import { timed } from '../timings.js';
import { renameDurably } from '../fs/durable.js';
import { removeTree } from '../fs/remove-tree.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import { type Manifest, readManifest } from '../plan/manifest.js';
import { loadRecipe } from '../recipe/load-recipe.js';
import type { Recipe } from '../recipe/merge-recipes.js';
import { type Artifact, changedArtifacts, commitArtifacts, removeStaleArtifacts, renderArtifacts, stageArtifacts, stagedArtifactPath } from './artifacts.js';
import { hostMounts } from './mount-options.js';
import { checkDeviceNodes, checkRoom, freeBytes, roundUp, treeBytes, writingCleanly } from './room.js';
import { acquireBuildLock } from './build-lock.js';
import { type OutputLayout, outputLayout } from '../plan/output-layout.js';
import { STAGING_PREFIX, checkOutputDir, claimOutputDir, removeLeftovers } from './output-dir.js';
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
}

/** Runs `title`'s work; the CLI shows it as a progress step. */
export type StepRunner = <T>(title: string, work: () => T | Promise<T>) => Promise<T>;

const plainSteps: StepRunner = async (_title, work) => work();

/** Everything a build decided before writing anything. */
interface PreparedBuild {
  recipe: Recipe;
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
  const build = await prepareBuild(options, step);
  const changes = [...entryChanges(build.previous, build.plan.manifest), ...build.payload, ...artifactChanges(build.toWrite)];
  const result = summary(build, changes);
  if (options.check) return result;
  // A killed build's leftovers are cleaned even when nothing else changes.
  if (changes.length > 0 || hasLeftovers(build.layout.dir)) await applyBuild(build, step);
  return result;
}

/** Loads, validates, plans and compares: reads the host and DIR, writes nothing. */
async function prepareBuild(options: BuildOptions, step: StepRunner): Promise<PreparedBuild> {
  const cwd = options.cwd ?? process.cwd();
  const tar = options.tar === undefined ? undefined : resolve(cwd, options.tar);
  const mtime = tar === undefined ? 0 : archiveMtime(options.env ?? process.env);
  const recipe = await step('Load the recipe', () => timed('recipe load', () => loadRecipe(options.recipe, { cwd, set: options.set ?? {} })));
  const { dir, warnings } = await step('Check the output directory', () => timed('output check', () => checkOutputDir(options.out, cwd, tar === undefined)));
  const layout = outputLayout(dir);
  if (tar !== undefined && existsSync(layout.root)) {
    throw new MkjailError(`Can't build a tar into output directory at ${dir}: it holds a jail tree (root/) whose manifest the tar's would replace`, {
      hint: 'give --tar builds their own --out directory',
    });
  }
  const previousRoot = tar === undefined && isDirectory(layout.root) ? layout.root : undefined;
  const plan = await step('Plan the jail', () => timed('plan', () => buildPlan(recipe, previousRoot ? { previousRoot } : {})));
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
  const treeOnly = tar === undefined && (plan.manifest.run === null || plan.manifest.sshd) ? sshdChrootWarning(layout.root) : undefined;
  const allWarnings = [...warnings, ...plan.warnings, ...(treeOnly ? [treeOnly] : [])];
  return { recipe, plan, layout, tar, mtime, previousRoot, previous, artifacts, payload, toWrite, warnings: allWarnings };
}

/** Writes what changed, under DIR's lock: the tree (staged, then swapped in) or the tar, then the scripts. */
async function applyBuild(build: PreparedBuild, step: StepRunner): Promise<void> {
  const { layout, plan, tar } = build;
  checkFileSystem(build);
  const release = writingCleanly('the output directory', layout.dir, () => {
    claimOutputDir(layout.dir);
    return acquireBuildLock(layout.dir);
  }, () => undefined);
  try {
    removeLeftovers(layout.dir);
    if (build.payload.length > 0 && tar !== undefined) await step(`Write the tar ${tar}`, () => timed('stage', () => replaceTar(plan, tar, build.mtime)));
    if (build.payload.length > 0 && tar === undefined) {
      const staging = join(layout.dir, `${STAGING_PREFIX}${process.pid}`);
      await step(`Stage the new jail beside ${layout.root}`, () => timed('stage', () => writingCleanly('the new jail', staging, () => writeTree(plan, staging, build.previousRoot), () => removeTree(staging))));
      await step(`Swap it into ${layout.root} and remove the old one`, () => timed('swap', () => {
        renameDurably(layout.dir, () => swapTree(staging, layout.root));
        removeTree(staging);
      }));
    }
    if (build.toWrite.length > 0) {
      await step('Write the manifest and scripts', () => timed('artifacts', () => {
        let staged: Array<{ staged: string; final: string }> = [];
        const unstage = () => {
          for (const artifact of build.toWrite) rmSync(stagedArtifactPath(artifact.path), { force: true });
        };
        writingCleanly('the manifest and scripts', layout.dir, () => {
          staged = stageArtifacts(build.toWrite);
        }, unstage);
        renameDurably(layout.dir, () => commitArtifacts(staged));
        removeStaleArtifacts(layout, build.artifacts, build.previous);
      }));
    }
  } finally {
    release();
  }
}

/**
 * Before anything is written: room on the file system for the new tree (or tar) and the scripts, which
 * are written beside the old ones, and device nodes that can be opened where the jail holds some.
 */
function checkFileSystem(build: PreparedBuild): void {
  const { layout, plan, tar } = build;
  const scripts = build.toWrite.reduce((sum, a) => sum + Buffer.byteLength(a.text), 0);
  if (tar !== undefined) {
    const { block } = freeBytes(dirname(tar));
    const archive = build.payload.length > 0 ? tarBytes(plan.manifest) : 0;
    if (dirname(tar) === layout.dir) checkRoom(`the tar ${tar}`, layout.dir, roundUp(archive, block) + roundUp(scripts, block));
    else {
      checkRoom(`the tar ${tar}`, dirname(tar), roundUp(archive, block));
      checkRoom('the manifest and scripts', layout.dir, roundUp(scripts, freeBytes(layout.dir).block));
    }
    return;
  }
  if (build.payload.length > 0) checkDeviceNodes(layout.dir, plan.manifest, hostMounts());
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

function summary(build: PreparedBuild, changes: string[]): BuildResult {
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
