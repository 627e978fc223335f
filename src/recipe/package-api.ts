// What a recipe imports from 'mkjail' at run time (src/index.ts re-exports it, with the types). A
// recipe run here (recipe-module.ts) is handed this very module rather than the package entry loaded
// again through Node's ESM loader (~8 ms a build).
export { EXIT, MkjailError } from '../errors.js';
export { defineRecipe } from './define-recipe.js';
