// Which Debian package owns a host file, read from dpkg's own database: `status` for the installed
// packages' versions and architectures, `info/<package>[:<arch>].list` for the files each installed.
// Debian 12 is usrmerged: dpkg may list /lib/x86_64-linux-gnu/libc.so.6 for what is found at
// /usr/lib/x86_64-linux-gnu/libc.so.6, so a path is looked up under both spellings.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DebianPackage {
  name: string;
  version: string;
  arch: string;
}

export interface DpkgOwners {
  ownerOf(path: string): DebianPackage | undefined;
}

const MERGED = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** The spellings of `path` dpkg may have recorded on a usrmerged system. */
export function usrMergeSpellings(path: string): string[] {
  const top = path.split('/')[1] ?? '';
  if (MERGED.includes(top)) return [path, `/usr${path}`];
  const second = path.split('/')[2] ?? '';
  if (top === 'usr' && MERGED.includes(second)) return [path, path.slice('/usr'.length)];
  return [path];
}

/** The installed packages of `status`, keyed by `name:arch` and by `name` alone. */
function installedPackages(status: string): Map<string, DebianPackage> {
  const packages = new Map<string, DebianPackage>();
  for (const stanza of status.split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    const arch = field('Architecture');
    if (!name || !version || !arch || field('Status') !== 'install ok installed') continue;
    const pkg = { name, version, arch };
    packages.set(`${name}:${arch}`, pkg);
    if (!packages.has(name)) packages.set(name, pkg);
  }
  return packages;
}

/** Reads dpkg's database below `adminDir` (default /var/lib/dpkg). */
export function readDpkgOwners(adminDir = '/var/lib/dpkg'): DpkgOwners {
  const packages = installedPackages(readFileSync(join(adminDir, 'status'), 'utf8'));
  const owners = new Map<string, DebianPackage>();
  for (const file of readdirSync(join(adminDir, 'info'))) {
    if (!file.endsWith('.list')) continue;
    const pkg = packages.get(file.slice(0, -'.list'.length));
    if (!pkg) continue;
    for (const line of readFileSync(join(adminDir, 'info', file), 'utf8').split('\n')) {
      if (line.startsWith('/') && !owners.has(line)) owners.set(line, pkg);
    }
  }
  return {
    ownerOf: (path) => usrMergeSpellings(path).map((p) => owners.get(p)).find((p) => p !== undefined),
  };
}

/** The package URL of a Debian package: pkg:deb/debian/NAME@VERSION?arch=ARCH (version percent-encoded). */
export function debianPurl(pkg: DebianPackage): string {
  return `pkg:deb/debian/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}?arch=${encodeURIComponent(pkg.arch)}`;
}
