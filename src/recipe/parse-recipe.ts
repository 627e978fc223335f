// Turns what a recipe file exports into a validated recipe: picks the form, applies the variables and
// checks the result against the strict schema. Every error names the file and the field.
import type * as z from '../zod.js';
import { MkjailError } from '../errors.js';
import { type ParsedRecipe, type RecipeVars, recipeSchema, varsSchema } from './schema.js';

/** One loaded recipe file: its text (for the hash), its variable defaults and its validated content. */
export interface RecipeFile {
  path: string;
  text: string;
  defaults: RecipeVars;
  /** The defaults with the --set values applied: what the recipe function received. */
  values: RecipeVars;
  recipe: ParsedRecipe;
}

const FORM_HINT =
  "default-export defineRecipe({ name, ... }) or defineRecipe({ vars: {...}, recipe: (vars) => ({ name, ... }) })";

export function parseRecipeValue(path: string, text: string, module: unknown, set: RecipeVars): RecipeFile {
  const exports = (typeof module === 'object' && module !== null ? module : {}) as Record<string, unknown>;
  const exported = exports.default;
  const { defaults, build } = recipeForm(path, exported, exports.vars);
  const values = { ...defaults };
  for (const name of Object.keys(defaults)) if (set[name] !== undefined) values[name] = set[name] as string;
  const value = callRecipe(path, build, values);
  const result = recipeSchema.safeParse(value);
  if (!result.success) throw schemaError(path, result.error);
  return { path, text, defaults, values, recipe: result.data };
}

type Build = (vars: RecipeVars) => unknown;

function recipeForm(path: string, exported: unknown, namedVars: unknown): { defaults: RecipeVars; build: Build } {
  if (typeof exported === 'function') return { defaults: parseVars(path, namedVars ?? {}, 'vars (named export)'), build: exported as Build };
  if (typeof exported === 'object' && exported !== null && 'recipe' in exported) {
    const { recipe, vars, ...rest } = exported as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (typeof recipe !== 'function' || extra.length > 0) {
      throw new MkjailError(`Can't use recipe at ${path}: a recipe with variables has exactly the keys vars and recipe (a function)${extra.length ? `, not ${extra.join(', ')}` : ''}`, { hint: FORM_HINT });
    }
    return { defaults: parseVars(path, vars ?? {}, 'vars'), build: recipe as Build };
  }
  if (typeof exported === 'object' && exported !== null) return { defaults: {}, build: () => exported };
  throw new MkjailError(`Can't use recipe at ${path}: it has no default export that is a recipe (found ${exported === undefined ? 'nothing' : typeof exported})`, { hint: FORM_HINT });
}

function parseVars(path: string, vars: unknown, field: string): RecipeVars {
  const result = varsSchema.safeParse(vars);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = [field, ...(issue?.path ?? []).map(String)].join('.');
  throw new MkjailError(`Can't use recipe at ${path}: field ${where}: ${issue?.message ?? 'invalid'}`, {
    hint: 'vars maps each variable name to its default value, a string',
  });
}

function callRecipe(path: string, build: Build, values: RecipeVars): unknown {
  try {
    return build(values);
  } catch (error) {
    const what = error instanceof Error ? error.message : String(error);
    throw new MkjailError(`Can't use recipe at ${path}: its recipe function threw: ${what}`, {
      hint: 'check the --set values against what the message asks; if they are right, fix the recipe function (it receives every variable as a string)',
    });
  }
}

/** The first schema problem as one line: the field path, what is wrong, and a fix. */
export function schemaError(path: string, error: z.ZodError): MkjailError {
  const first = error.issues[0];
  if (!first) return new MkjailError(`Can't use recipe at ${path}: invalid`, { hint: FORM_HINT });
  const { issue, at } = innermostIssue(first, []);
  const field = at.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (field ? `${field}.${k}` : k));
    const known = field === '' ? `; known fields: ${Object.keys(recipeSchema.shape).join(', ')}` : '';
    return new MkjailError(`Can't use recipe at ${path}: field ${keys.join(', ')}: unknown key${known}`, {
      hint: 'remove it or fix its spelling',
    });
  }
  const where = field || '(top level)';
  return new MkjailError(`Can't use recipe at ${path}: field ${where}: ${issueMessage(issue)}`, {
    hint: fieldHint(field),
  });
}

/** For a value that matched no branch of a union, the problem inside the branch of its own type. */
function innermostIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { issue: z.core.$ZodIssue; at: PropertyKey[] } {
  const at = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union') return { issue, at };
  const branches = issue.errors.filter((branch) => branch.length > 0);
  const sameType = branches.find((branch) => !(branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
  const inner = (sameType ?? branches[0])?.[0];
  return inner ? innermostIssue(inner, at) : { issue, at };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required (expected ${issue.expected})`;
  return issue.message;
}

function fieldHint(field: string): string {
  const top = field.split('.')[0] ?? '';
  switch (top) {
    case 'name':
      return "use a short id such as 'bind' or 'my-tool'";
    case 'writable':
      return "each writable entry is { path, owner, group, mode: '0750', why } with an owner-only write bit";
    case 'devices':
      return "devices defaults to ['null']; any other device is { name, why }";
    case 'run':
      return "run is { argv: ['/path/in/jail', ...], env?: {...}, chroot?: 'launcher' | 'self', capabilities?: ['net_bind_service'] }";
    case 'nss':
      return "each nss entry is a database ('passwd', 'hosts', ...) or { database, sources?: ['files'], names?: ['USER'] }, names only for passwd and group";
    default:
      return 'paths are absolute, without "." or ".." components; see docs/recipes.md';
  }
}
