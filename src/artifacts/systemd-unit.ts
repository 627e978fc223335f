// DIR/<name>.service: a hardened systemd unit for the jail. (Placeholder.) `outDir` is absolute.
import type { Manifest } from '../plan/manifest.js';

export function renderSystemdUnit(manifest: Manifest, outDir: string): string | undefined {
  if (!manifest.run) return undefined;
  return `# ${manifest.recipe.name}.service for ${outDir}: not implemented yet\n`;
}
