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

/** The socket rsyslog makes in a jail whose recipe says `syslog: true` (DIR/rsyslog.conf asks it to). */
export const SYSLOG_SOCKET = '/dev/log';

/** The shell of every account in the jail's etc/passwd: nobody logs in. */
export const NOLOGIN_SHELL = '/usr/sbin/nologin';

/** A copied host file that others can't read on the host (no "other read" bit): root only... */
export const PRIVATE_FILE_MODE = '0400';
export const PRIVATE_PROGRAM_MODE = '0500';
/** ...or root and the service's group (owner root:<service gid>), when the recipe has a service identity. */
export const SERVICE_FILE_MODE = '0440';
export const SERVICE_PROGRAM_MODE = '0550';

/**
 * The mode of a copied host file, root-owned: a program (the host has any execute bit) 0555, else 0444;
 * a file others can't read on the host stays so: 0500, else 0400 (see `serviceGroupMode`).
 */
export function copiedFileMode(hostMode: number): string {
  const program = (hostMode & 0o111) !== 0;
  if ((hostMode & 0o004) === 0) return program ? PRIVATE_PROGRAM_MODE : PRIVATE_FILE_MODE;
  return program ? PROGRAM_MODE : FILE_MODE;
}

/** True when a planned mode lets someone run the file (any execute bit). */
export function modeIsProgram(mode: string): boolean {
  return (Number.parseInt(mode, 8) & 0o111) !== 0;
}

/** The mode that lets the service's group read a copied file planned for root alone, if `mode` is one. */
export function serviceGroupMode(mode: string): string | undefined {
  if (mode === PRIVATE_FILE_MODE) return SERVICE_FILE_MODE;
  if (mode === PRIVATE_PROGRAM_MODE) return SERVICE_PROGRAM_MODE;
  return undefined;
}

/** The reason recorded for the jail root and for directories that exist only to hold something. */
export const PARENT_DIR_REASON: Reason = { kind: 'parent-dir' };
