// Builds a recipe file with the real build code (test/helpers/build-jail.ts) for an audit test.
import { buildJail } from '../../helpers/build-jail.js';

export interface ScratchBuild {
  /** DIR: manifest.json, root/, launch, perms.sh. */
  dir: string;
  cleanup(): void;
}

export async function buildInScratch(recipe: string, set: Record<string, string> = {}): Promise<ScratchBuild> {
  const jail = await buildJail(recipe, { set });
  return { dir: jail.dir, cleanup: jail.cleanup };
}
