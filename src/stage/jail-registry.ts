// The host's list of the jails mkjail built: one small JSON file per output directory, naming the
// service user, in /var/lib/mkjail/jails (MKJAIL_STATE_DIR moves it). The audit reads it to see a
// service user shared by two jails. Only tree builds by root are listed; an entry whose DIR no
// longer holds a jail of that user is ignored by its readers.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from '../zod.js';
import { errnoCode } from '../errors.js';
import { replaceFile } from '../fs/replace-file.js';
import type { Manifest } from '../plan/manifest.js';

/** Where mkjail keeps what it knows of the host between runs, unless MKJAIL_STATE_DIR says otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/mkjail';

export const registeredJailSchema = z.strictObject({
  /** The output directory DIR (absolute); the jail is DIR/root. */
  dir: z.string().min(1),
  recipe: z.string(),
  user: z.string(),
  uid: z.number().int().min(0),
  group: z.string(),
  gid: z.number().int().min(0),
});
export type RegisteredJail = z.infer<typeof registeredJailSchema>;

export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.MKJAIL_STATE_DIR;
  return join(state !== undefined && state !== '' ? state : DEFAULT_STATE_DIR, 'jails');
}

/** The file that stands for DIR: a hash of its path, so that any path gives one plain file name. */
function entryFile(registry: string, dir: string): string {
  return join(registry, `${createHash('sha256').update(dir).digest('hex').slice(0, 32)}.json`);
}

/**
 * Records (or updates) DIR's jail and its service user; a jail without a user is taken off the list.
 * Writes only when the entry changes, through a new file renamed over the old one (never through a
 * symlink someone left in its place).
 */
export function registerJail(dir: string, manifest: Manifest, env: NodeJS.ProcessEnv = process.env): void {
  const registry = registryDir(env);
  const file = entryFile(registry, dir);
  const { identity } = manifest;
  if (!identity) {
    rmSync(file, { force: true });
    return;
  }
  const text = `${JSON.stringify(registeredJailSchema.parse({ dir, recipe: manifest.recipe.name, ...identity }))}\n`;
  if (readOrUndefined(file) === text) return;
  mkdirSync(registry, { recursive: true, mode: 0o755 });
  replaceFile(file, text, 0o644);
}

/** Every jail on the list (files that do not parse are skipped: they describe no jail). */
export function registeredJails(env: NodeJS.ProcessEnv = process.env): RegisteredJail[] {
  const registry = registryDir(env);
  let names: string[];
  try {
    names = readdirSync(registry);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => /^[0-9a-f]{32}\.json$/.test(name))
    .sort()
    .flatMap((name) => {
      const text = readOrUndefined(join(registry, name));
      if (text === undefined) return [];
      try {
        return [registeredJailSchema.parse(JSON.parse(text))];
      } catch {
        return [];
      }
    });
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ELOOP') return undefined;
    throw error;
  }
}
