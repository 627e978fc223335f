// The package's public API: what a recipe file imports (`import { defineRecipe } from 'mkjail'`).
export * from './recipe/package-api.js';
export type { Manifest, ManifestEntry, Reason } from './plan/manifest.js';
export type { ParameterizedRecipe, RecipeDefinition, VarValues } from './recipe/define-recipe.js';
export type { ConfigSpec, DeviceSpec, FileSpec, RecipeInput, RecipeInput as RecipeSpec, RunSpec, WritableSpec } from './recipe/schema.js';
