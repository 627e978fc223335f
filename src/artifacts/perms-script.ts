// perms.sh: a standalone POSIX sh script, outside the jail, that sets owner, group and mode of every
// path of the jail from the manifest. (Placeholder.)
import type { Manifest } from '../plan/manifest.js';

export function renderPermsScript(manifest: Manifest): string {
  return `#!/bin/sh\n# perms.sh for ${manifest.recipe.name}: not implemented yet\nexit 70\n`;
}
