// The package's public API: what a recipe file imports (`import { defineRecipe } from 'mkjail'`).
export { EXIT, MkjailError } from './errors.js';
export type { Manifest, ManifestEntry, Reason } from './plan/manifest.js';
