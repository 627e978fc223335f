// The recipe's `runtime`: well-known files a program opens only at run time, named by what they are
// for and resolved on the host. Each entry's reason is the recipe field with the item's name
// (`runtime.0 (tz)`). Files come in as `files` do (a symlink kept, its target brought in); ELF objects
// (libgcc_s, gconv modules) as binaries, with their closure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { libcDirectory } from './libc-directory.js';
import type { Recipe } from '../recipe/merge-recipes.js';
import { reasonField, recipeError, type Sourced } from '../recipe/recipe-error.js';
import type { RuntimeItem } from '../recipe/schema.js';
import type { PlanBuilder } from './plan-builder.js';
import { planHostPath } from './plan-host-path.js';

interface RuntimeNeeds {
  /** Host files or directories, copied to the same path (symlinks kept). */
  files: string[];
  /** ELF objects, planned with their closure. */
  objects: string[];
}

/** The terminals a person's shell announces most (TERM), as ncurses-base installs them. */
const TERMINALS = ['dumb', 'linux', 'screen', 'screen-256color', 'tmux', 'tmux-256color', 'vt100', 'vt220', 'xterm', 'xterm-256color'];

/** What each item needs on this host; `libc` is the directory of the libc the recipe's programs load. */
function needsOf(item: RuntimeItem, libc: string | undefined): RuntimeNeeds {
  const existing = (paths: string[]) => paths.filter((path) => existsSync(path));
  switch (item) {
    case 'tz':
      // /etc/localtime names the zone (a symlink into /usr/share/zoneinfo); glibc reads it for localtime().
      return { files: existing(['/etc/localtime', '/etc/timezone']), objects: [] };
    case 'openssl':
      return { files: openSslFiles(), objects: openSslModules() };
    case 'ca-certificates':
      // OpenSSL's default file (/usr/lib/ssl/cert.pem on Debian, a link to the bundle) and the bundle itself.
      return { files: existing(['/usr/lib/ssl/cert.pem', '/etc/ssl/certs/ca-certificates.crt']), objects: [] };
    case 'gconv':
      return libc ? gconvNeeds(`${libc}/gconv`) : { files: [], objects: [] };
    case 'libgcc_s':
      // glibc dlopen()s libgcc_s.so.1 to unwind a thread at pthread_cancel() and pthread_exit().
      return { files: [], objects: libc ? existing([`${libc}/libgcc_s.so.1`]) : [] };
    case 'locale':
      return { files: existing(['/usr/lib/locale/locale-archive', '/usr/lib/locale/C.utf8', '/usr/share/locale/locale.alias']), objects: [] };
    case 'terminfo':
      return { files: existing(TERMINALS.map((name) => `/lib/terminfo/${name[0]}/${name}`).concat(TERMINALS.map((name) => `/usr/share/terminfo/${name[0]}/${name}`))), objects: [] };
    case 'resolver':
      // getaddrinfo(): the resolver's configuration, the hosts file, and RFC 3484 address ordering.
      return { files: existing(['/etc/resolv.conf', '/etc/hosts', '/etc/host.conf', '/etc/gai.conf']), objects: [] };
  }
}

function openSslFiles(): string[] {
  const config = '/usr/lib/ssl/openssl.cnf';
  if (!existsSync(config)) return [];
  return [config, ...configIncludes(config)];
}

/** `.include` lines of openssl.cnf (absolute paths); a directory include brings the directory. */
function configIncludes(config: string): string[] {
  return readFileSync(config, 'utf8')
    .split('\n')
    .map((line) => /^\s*\.include\s*=?\s*(\/\S+)/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined && existsSync(path));
}

/** Provider and engine modules openssl.cnf names (`module = /path/x.so`). */
function openSslModules(): string[] {
  const config = '/usr/lib/ssl/openssl.cnf';
  if (!existsSync(config)) return [];
  return readFileSync(config, 'utf8')
    .split('\n')
    .map((line) => /^\s*(?:module|dynamic_path)\s*=\s*(\/\S+\.so)\s*$/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined && existsSync(path));
}

/** iconv's configuration and cache, and every conversion module (loaded by name when a conversion asks). */
function gconvNeeds(dir: string): RuntimeNeeds {
  if (!existsSync(dir)) return { files: [], objects: [] };
  const names = readdirSync(dir);
  const files = names.filter((name) => name.startsWith('gconv-modules')).map((name) => join(dir, name));
  const objects = names.filter((name) => name.endsWith('.so')).map((name) => join(dir, name));
  return { files, objects };
}

function needsOfEach(recipe: Recipe): { item: Sourced<RuntimeItem>; needs: RuntimeNeeds }[] {
  if (recipe.runtime.length === 0) return [];
  const libc = libcDirectory(recipe);
  return recipe.runtime.map((item) => {
    const needs = needsOf(item.value, libc);
    if (needs.files.length + needs.objects.length === 0) {
      const hint = ['gconv', 'libgcc_s'].includes(item.value) && !libc ? 'add the program that uses it to binaries (it is found beside the libc the programs load)' : 'install the Debian package that provides it on the host, or drop the item';
      throw recipeError(item.origin, `${item.value}: nothing of it is on the host`, hint);
    }
    return { item, needs };
  });
}

/** The ELF objects of `runtime`, as binaries with the item in their field (`runtime.0 (libgcc_s)`). */
export function runtimeObjects(recipe: Recipe): Sourced<string>[] {
  return needsOfEach(recipe).flatMap(({ item, needs }) => needs.objects.map((value) => ({ value, origin: { ...item.origin, field: `${item.origin.field} (${item.value})` } })));
}

/** Adds the files of `runtime` (not already in the jail) with the item in their reason. */
export function planRuntimeFiles(plan: PlanBuilder, recipe: Recipe): void {
  for (const { item, needs } of needsOfEach(recipe)) {
    const reasons = [{ kind: 'recipe' as const, field: `${reasonField(item.origin)} (${item.value})` }];
    for (const file of needs.files) if (!plan.resolve(file)) planHostPath(plan, file, reasons);
  }
}
