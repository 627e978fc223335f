// The files that live in DIR beside the jail, outside it: manifest.json, perms.sh, launch and the systemd
// unit. Each is written to a temporary name first and renamed into place, so none is ever half-written.
import { chmodSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { renderLauncher } from '../artifacts/launcher.js';
import { renderPermsScript } from '../artifacts/perms-script.js';
import { renderRsyslogConf } from '../artifacts/rsyslog-conf.js';
import { renderSshdMatch } from '../artifacts/sshd-match.js';
import { renderSystemdUnit } from '../artifacts/systemd-unit.js';
import { errnoCode } from '../errors.js';
import { type Manifest, serializeManifest } from '../plan/manifest.js';
import { recipeName } from '../recipe/run-shapes.js';
import type { OutputLayout } from '../plan/output-layout.js';
import { STAGING_PREFIX } from './output-dir.js';

export interface Artifact {
  path: string;
  text: string;
  mode: number;
}

/** Every artifact of `manifest`, in the order they are written. */
export function renderArtifacts(manifest: Manifest, layout: OutputLayout): Artifact[] {
  const artifacts: Artifact[] = [
    { path: layout.manifest, text: serializeManifest(manifest), mode: 0o644 },
    { path: layout.perms, text: renderPermsScript(manifest), mode: 0o700 },
  ];
  const launcher = renderLauncher(manifest);
  if (launcher !== undefined) artifacts.push({ path: layout.launcher, text: launcher, mode: 0o700 });
  const unit = renderSystemdUnit(manifest, layout.dir);
  if (unit !== undefined) artifacts.push({ path: layout.unit(manifest.recipe.name), text: unit, mode: 0o644 });
  const rsyslog = renderRsyslogConf(manifest, layout);
  if (rsyslog !== undefined) artifacts.push({ path: layout.rsyslog, text: rsyslog, mode: 0o644 });
  const sshd = renderSshdMatch(manifest, layout);
  if (sshd !== undefined) artifacts.push({ path: layout.sshd, text: sshd, mode: 0o644 });
  return artifacts;
}

/** The artifacts whose file is missing or differs (content or mode). */
export function changedArtifacts(artifacts: Artifact[]): Artifact[] {
  return artifacts.filter((a) => !artifactIsCurrent(a));
}

function artifactIsCurrent(artifact: Artifact): boolean {
  try {
    const stats = lstatSync(artifact.path);
    return stats.isFile() && (stats.mode & 0o7777) === artifact.mode && readFileSync(artifact.path, 'utf8') === artifact.text;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Writes each artifact beside its final name (a staging name that the next build cleans up). */
export function stageArtifacts(artifacts: Artifact[]): Array<{ staged: string; final: string }> {
  return artifacts.map((a) => {
    const staged = stagedArtifactPath(a.path);
    rmSync(staged, { force: true });
    writeFileSync(staged, a.text, { mode: a.mode, flag: 'wx' });
    // The umask narrows the mode given at creation: set it whole, or a hardened umask (027, 077) makes
    // every later build see the artifact as changed and rewrite it.
    chmodSync(staged, a.mode);
    return { staged, final: a.path };
  });
}

/** The staging name of the artifact at `path`, beside it. */
export function stagedArtifactPath(path: string): string {
  return join(dirname(path), `${STAGING_PREFIX}${process.pid}-${basename(path)}`);
}

/** Renames staged artifacts into place (each rename is atomic). */
export function commitArtifacts(staged: Array<{ staged: string; final: string }>): void {
  for (const { staged: from, final } of staged) renameSync(from, final);
}

/** Removes artifacts of an earlier build that this one no longer has (a launcher after `run` was dropped). */
export function removeStaleArtifacts(layout: OutputLayout, artifacts: Artifact[], previous: Manifest | undefined): void {
  const keep = new Set(artifacts.map((a) => a.path));
  // The manifest schema already holds recipe.name to the recipe-name rule; checked again here because the
  // name becomes a path to delete.
  const name = previous?.recipe.name;
  const candidates = [layout.launcher, layout.rsyslog, layout.sshd, ...(name !== undefined && recipeName.safeParse(name).success ? [layout.unit(name)] : [])];
  for (const path of candidates) if (!keep.has(path)) rmSync(path, { force: true });
}

