// Builds a recipe with the real build code into a scratch directory whose parents only root can write
// (test/helpers/build-jail.ts builds below os.tmpdir(), which the writable-parent rule rightly reports).
import { join } from 'node:path';
import { runBuild } from '../../../src/stage/run-build.js';
import { makeScratch, removeScratch } from './clean-jail.js';

export interface ScratchBuild {
  /** DIR: manifest.json, root/, launch, perms.sh. */
  dir: string;
  cleanup(): void;
}

export async function buildInScratch(recipe: string, set: Record<string, string> = {}): Promise<ScratchBuild> {
  const scratch = makeScratch('build-');
  try {
    const dir = join(scratch, 'out');
    await runBuild({ recipe, out: dir, set });
    return { dir, cleanup: () => removeScratch(scratch) };
  } catch (error) {
    removeScratch(scratch);
    throw error;
  }
}
