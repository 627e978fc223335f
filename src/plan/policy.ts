// The jail article's rules as named constants: who owns what and which permission bits are allowed.
import type { Reason } from './manifest.js';

/** Everything not declared writable is owned by root:root. */
export const ROOT_UID = 0;
export const ROOT_GID = 0;

/** Directories: searchable and listable, never writable (`/dev` is tighter still). */
export const DIR_MODE = '0555';
/** `/dev`: search only (d--x--x--x): nothing to list, only `null` to open. */
export const DEV_DIR_MODE = '0111';
/** Regular files that are not programs. */
export const FILE_MODE = '0444';
/** Programs and shared objects (anything the host marks executable). setuid/setgid never survive. */
export const PROGRAM_MODE = '0555';
/** Device nodes: the service must read and write /dev/null. */
export const DEVICE_MODE = '0666';
/** Symlink permission bits are ignored by Linux; the manifest records them as 0777. */
export const SYMLINK_MODE = '0777';

/** The shell of every account in the jail's etc/passwd: nobody logs in. */
export const NOLOGIN_SHELL = '/usr/sbin/nologin';

/** The mode of a copied host file: 0555 when the host has any execute bit, else 0444. */
export function copiedFileMode(hostMode: number): string {
  return (hostMode & 0o111) !== 0 ? PROGRAM_MODE : FILE_MODE;
}

/** The reason recorded for the jail root and for directories that exist only to hold something. */
export const PARENT_DIR_REASON: Reason = { kind: 'parent-dir' };
