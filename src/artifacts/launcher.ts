// The launcher (DIR/launch), outside the jail: starts the recipe's `run` with root given up correctly.
// (Placeholder.) Returns undefined when the recipe has no `run`.
import type { Manifest } from '../plan/manifest.js';

export function renderLauncher(manifest: Manifest): string | undefined {
  if (!manifest.run) return undefined;
  return `#!/bin/sh\n# launcher for ${manifest.recipe.name}: not implemented yet\nexit 70\n`;
}
