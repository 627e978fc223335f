// Merges a recipe with the recipes it includes: lists are joined, single values come from the including
// recipe first. Every value keeps the file and field it came from.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { AccountSpec, AllowSpec, ConfigSpec, DeviceSpec, GeneratedSpec, LinkSpec, NssSpec, RecipeVars, RunSpec, RuntimeItem, WritableSpec } from './schema.js';
import type { RecipeFile } from './parse-recipe.js';
import type { Origin, Sourced } from './recipe-error.js';

/** A `files` entry made absolute: `from` on the host, `to` in the jail; plain paths keep their symlinks. */
export interface FileCopy {
  from: string;
  to: string;
  keepLinks: boolean;
}

/** A loaded, validated and merged recipe: what the planner works from. */
export interface Recipe {
  /** The top recipe file (absolute). */
  file: string;
  name: string;
  /** sha256 of the recipe files and variable values. */
  sha256: string;
  /** Every variable's value as the recipes received it (defaults with --set applied). */
  vars: RecipeVars;
  binaries: Sourced<string>[];
  files: Sourced<FileCopy>[];
  dirs: Sourced<string>[];
  user: Sourced<string> | undefined;
  group: Sourced<string> | undefined;
  /** `createUser: true`: mkjail creates `user` (and its group) on the host when missing. */
  createUser: Sourced<boolean> | undefined;
  writable: Sourced<WritableSpec>[];
  devices: Sourced<DeviceSpec>[];
  configs: Sourced<ConfigSpec>[];
  generated: Sourced<GeneratedSpec>[];
  run: Sourced<RunSpec> | undefined;
  links: Sourced<LinkSpec>[];
  account: Sourced<AccountSpec> | undefined;
  allow: Sourced<AllowSpec>[];
  syslog: Sourced<boolean> | undefined;
  sshd: Sourced<{ forceCommand?: string | undefined }> | undefined;
  nss: Sourced<NssSpec>[];
  runtime: Sourced<RuntimeItem>[];
}

export function mergeRecipes(files: RecipeFile[], sha256: string): Recipe {
  const top = files[0];
  if (!top) throw new Error('mergeRecipes needs at least one recipe file');
  const all = <T>(pick: (f: RecipeFile) => readonly T[] | undefined, field: string): Sourced<T>[] =>
    files.flatMap((f) => (pick(f) ?? []).map((value, i) => ({ value, origin: origin(f, `${field}.${i}`) })));
  const first = <T>(pick: (f: RecipeFile) => T | undefined, field: string): Sourced<T> | undefined => {
    const f = files.find((g) => pick(g) !== undefined);
    return f ? { value: pick(f) as T, origin: origin(f, field) } : undefined;
  };
  const origin = (f: RecipeFile, field: string): Origin => (f === top ? { file: f.path, field } : { file: f.path, field, included: f.recipe.name });
  const declaresDevices = files.some((f) => f.recipe.devices !== undefined);
  return {
    file: top.path,
    name: top.recipe.name,
    sha256,
    vars: Object.assign({}, ...[...files].reverse().map((f) => f.values)) as RecipeVars,
    binaries: all((f) => f.recipe.binaries, 'binaries'),
    files: files.flatMap((f) =>
      (f.recipe.files ?? []).map((spec, i) => ({ value: fileCopy(f.path, spec), origin: origin(f, `files.${i}`) })),
    ),
    dirs: all((f) => f.recipe.dirs, 'dirs'),
    user: first((f) => f.recipe.user, 'user'),
    group: first((f) => f.recipe.group, 'group'),
    createUser: first((f) => f.recipe.createUser, 'createUser'),
    writable: all((f) => f.recipe.writable, 'writable'),
    devices: declaresDevices
      ? all((f) => f.recipe.devices, 'devices')
      : [{ value: 'null', origin: { file: top.path, field: 'devices (default)' } }],
    configs: all((f) => f.recipe.configs, 'configs'),
    generated: all((f) => f.recipe.generated, 'generated'),
    run: first((f) => f.recipe.run, 'run'),
    links: files.flatMap((f) => linkList(f.recipe.links).map(({ value, key }) => ({ value, origin: origin(f, `links.${key}`) }))),
    account: first((f) => f.recipe.account, 'account'),
    allow: all((f) => f.recipe.allow, 'allow'),
    syslog: first((f) => f.recipe.syslog, 'syslog'),
    sshd: first((f) => f.recipe.sshd, 'sshd'),
    nss: all((f) => f.recipe.nss, 'nss'),
    runtime: all((f) => f.recipe.runtime, 'runtime'),
  };
}

function fileCopy(recipePath: string, spec: string | { from: string; to: string }): FileCopy {
  if (typeof spec === 'string') return { from: spec, to: spec, keepLinks: true };
  const from = isAbsolute(spec.from) ? spec.from : resolve(dirname(recipePath), spec.from);
  return { from, to: spec.to, keepLinks: false };
}

/** Both forms of `links` as one list, each with the key that names it in an error (`/bin/sh` or `0`). */
function linkList(links: Record<string, string> | LinkSpec[] | undefined): { value: LinkSpec; key: string }[] {
  if (!links) return [];
  if (Array.isArray(links)) return links.map((value, i) => ({ value, key: String(i) }));
  return Object.entries(links).map(([path, target]) => ({ value: { path, target }, key: path }));
}
