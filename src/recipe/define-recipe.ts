// defineRecipe: the typed helper a recipe file default-exports (`import { defineRecipe } from 'mkjail'`).
import type { RecipeInput } from './schema.js';

/** The values a parameterized recipe receives: every declared variable, as a string. */
export type VarValues<V extends Record<string, string>> = { [K in keyof V]: string };

/** A recipe with variables: `vars` holds the defaults, `recipe` builds the recipe from the values. */
export interface ParameterizedRecipe<V extends Record<string, string>> {
  vars: V;
  recipe: (vars: VarValues<V>) => RecipeInput;
}

export type RecipeDefinition = RecipeInput | ParameterizedRecipe<Record<string, string>>;

/**
 * Types a recipe. Two forms:
 * `defineRecipe({ name: 'x', binaries: [...] })`, or with variables set by `--set name=value`:
 * `defineRecipe({ vars: { config: '/etc/x.conf' }, recipe: (vars) => ({ name: 'x', files: [vars.config] }) })`.
 * It returns its argument unchanged; mkjail validates the result when it loads the file.
 */
export function defineRecipe<V extends Record<string, string>>(definition: ParameterizedRecipe<V>): ParameterizedRecipe<V>;
export function defineRecipe(definition: RecipeInput): RecipeInput;
export function defineRecipe(definition: RecipeDefinition): RecipeDefinition {
  return definition;
}
