// Where the libc of a recipe's programs lives on the host: NSS modules and gconv's modules sit beside it
// (glibc loads them from its own directory).
import { basename, dirname } from 'node:path';
import { resolveClosure } from '../resolve/library-closure.js';
import type { Recipe } from '../recipe/merge-recipes.js';

/** The directory of the libc.so.6 the first of the recipe's programs that loads one maps, or undefined. */
export function libcDirectory(recipe: Recipe): string | undefined {
  for (const binary of recipe.binaries) {
    try {
      const libc = resolveClosure([binary.value]).objects.find((object) => basename(object.path) === 'libc.so.6');
      if (libc) return dirname(libc.path);
    } catch {
      // planBinaries reports a bad binary with its own error
    }
  }
  return undefined;
}
