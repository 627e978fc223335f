// Mount options that break a jail on the file system that holds it: nodev (/dev/null can't be opened)
// and noexec (no program of the jail can run). Read from /proc/self/mounts; warnings, not errors.
import { readFileSync } from 'node:fs';

/** Warnings for the mount that holds `dir`, given the text of /proc/self/mounts. */
export function mountWarnings(dir: string, mounts: string): string[] {
  const mount = holdingMount(dir, mounts);
  if (!mount) return [];
  const warnings: string[] = [];
  if (mount.options.includes('nodev')) warnings.push(`the jail is on ${mount.point}, mounted nodev: its /dev/null can't be opened (build it on a file system without nodev)`);
  if (mount.options.includes('noexec')) warnings.push(`the jail is on ${mount.point}, mounted noexec: no program in it can run (build it on a file system without noexec)`);
  return warnings;
}

/** The mount point holding `dir` when it is mounted nodev (device nodes there can't be opened), given /proc/self/mounts. */
export function nodevMount(dir: string, mounts: string): string | undefined {
  const mount = holdingMount(dir, mounts);
  return mount?.options.includes('nodev') ? mount.point : undefined;
}

/** This process's mount table, or '' when it can't be read. */
export function hostMounts(): string {
  try {
    return readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

/** The same, reading this process's mount table (no warnings when it can't be read). */
export function hostMountWarnings(dir: string): string[] {
  try {
    return mountWarnings(dir, readFileSync('/proc/self/mounts', 'utf8'));
  } catch {
    return [];
  }
}

/** The mount that holds `dir` (the longest mount point above it, the last one mounted there), given /proc/self/mounts. */
export function holdingMount(dir: string, mounts: string): { point: string; type: string; options: string[] } | undefined {
  let best: { point: string; type: string; options: string[] } | undefined;
  for (const line of mounts.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 4) continue;
    const point = unescapeMountField(fields[1] as string);
    const inside = point === '/' || dir === point || dir.startsWith(`${point}/`);
    // Later lines mount over earlier ones at the same point: >= keeps the last.
    if (inside && (!best || point.length >= best.point.length)) best = { point, type: fields[2] as string, options: (fields[3] as string).split(',') };
  }
  return best;
}

/** /proc/self/mounts writes space, tab, newline and backslash as octal escapes (\040). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
