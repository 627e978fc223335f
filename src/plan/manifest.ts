// The manifest: every entry of a jail with its metadata and the reasons it is there. One zod schema is
// the only source of these types; a manifest read back from disk is always re-parsed, never trusted.
import { readFileSync } from 'node:fs';
import * as z from '../zod.js';
import { EXIT, MkjailError, errnoWords } from '../errors.js';
import { DLOPEN_PRIORITIES } from '../elf/dlopen-note.js';
import { VIAS } from '../resolve/types.js';
import { RULE_IDS } from '../recipe/rule-ids.js';
import { recipeName, RUN_CAPABILITIES, runEnvironment, runPts, runShare, runWord } from '../recipe/run-shapes.js';

export const MANIFEST_FORMAT = 'mkjail-manifest/1';

/** Permission bits as a 4-digit octal string, e.g. "0444", "0750", "1777". */
export const octalMode = z.string().regex(/^[0-7]{4}$/, 'a 4-digit octal mode such as "0444"');

/** An absolute, normal path inside the jail: "/", "/etc/passwd"; never "..", ".", "//" or a trailing "/". */
export const jailPath = z
  .string()
  .regex(/^\/$|^(\/[^/\0]+)+$/, 'an absolute path inside the jail')
  .refine((p) => !p.split('/').some((c) => c === '.' || c === '..'), 'a path without "." or ".." components');


export const reasonSchema = z.discriminatedUnion('kind', [
  /** `field`: the recipe field that names it (`binaries.0`); absent in manifests written before it was recorded. */
  z.strictObject({ kind: z.literal('binary'), field: z.string().optional() }),
  z.strictObject({ kind: z.literal('interpreter'), of: z.string() }),
  z.strictObject({
    kind: z.literal('needed'),
    soname: z.string(),
    by: z.string(),
    via: z.enum(VIAS),
    /** Present when `by` names it in its `.note.dlopen` (loaded with dlopen(), not through DT_NEEDED). */
    dlopen: z.strictObject({ priority: z.enum(DLOPEN_PRIORITIES), feature: z.string().optional() }).optional(),
  }),
  z.strictObject({ kind: z.literal('symlink-target'), of: z.string() }),
  z.strictObject({ kind: z.literal('recipe'), field: z.string() }),
  z.strictObject({ kind: z.literal('config'), by: z.string(), what: z.string() }),
  z.strictObject({ kind: z.literal('nss'), service: z.string() }),
  z.strictObject({ kind: z.literal('parent-dir') }),
  z.strictObject({ kind: z.literal('device'), why: z.string() }),
  z.strictObject({ kind: z.literal('writable'), why: z.string() }),
  z.strictObject({ kind: z.literal('identity'), why: z.string() }),
]);
export type Reason = z.infer<typeof reasonSchema>;

const common = {
  path: jailPath,
  mode: octalMode,
  uid: z.number().int().min(0),
  gid: z.number().int().min(0),
  reasons: z.array(reasonSchema).min(1),
};

export const manifestEntrySchema = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('dir') }),
  z.strictObject({
    ...common,
    type: z.literal('file'),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Host path the content came from; absent for generated files (etc/passwd). */
    source: z.string().optional(),
  }),
  z.strictObject({ ...common, type: z.literal('symlink'), target: z.string().min(1) }),
  z.strictObject({ ...common, type: z.literal('chardev'), major: z.number().int().min(0), minor: z.number().int().min(0) }),
]);
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;
export type EntryType = ManifestEntry['type'];

export const identitySchema = z.strictObject({
  user: z.string(),
  uid: z.number().int().min(0),
  group: z.string(),
  gid: z.number().int().min(0),
});
export type Identity = z.infer<typeof identitySchema>;

export const writableSchema = z.strictObject({
  path: jailPath,
  owner: z.string(),
  group: z.string(),
  mode: octalMode,
  why: z.string().min(1),
});

export const runSchema = z.strictObject({
  /** argv[0] is a path in the jail ('launcher'), or a host path of a daemon that chroots itself ('self'). */
  argv: z.array(runWord).min(1),
  /** Added to the launcher's environment allowlist. */
  env: runEnvironment,
  /** Who does chroot and the drop of root: the launcher, or the daemon itself (`named -t`). */
  chroot: z.enum(['launcher', 'self']),
  /**
   * chroot 'launcher': kept after the launcher's drop (SERVICE_CAPABILITIES). chroot 'self': the bounding
   * set the daemon starts with (SELF_CHROOT_CAPABILITIES). Absent when none.
   */
  capabilities: z.array(z.enum(RUN_CAPABILITIES)).min(1).optional(),
  /** A network namespace holding only loopback; absent: the host's network. */
  network: z.literal('none').optional(),
  /** Host namespaces the service stays in; absent: its own PID and IPC namespaces. */
  share: runShare.optional(),
  /** A pseudo-terminal relayed by the launcher; absent: a daemon, stdin from /dev/null. */
  interactive: z.literal(true).optional(),
  /** A private devpts instance the launcher mounts at /dev/pts. */
  pts: runPts.optional(),
});

/** An audit finding the recipe declared on purpose (its `allow`): `mkjail audit DIR` does not report it. */
export const allowanceSchema = z.strictObject({ rule: z.enum(RULE_IDS), path: z.string().min(1), why: z.string().min(1) });
export type DeclaredAllowance = z.infer<typeof allowanceSchema>;

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  tool: z.strictObject({ name: z.literal('mkjail'), version: z.string() }),
  recipe: z.strictObject({ name: recipeName, sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  identity: identitySchema.nullable(),
  writable: z.array(writableSchema),
  run: runSchema.nullable(),
  /** `syslog: true`: the socket the host's rsyslog makes in the jail (DIR/rsyslog.conf); not an entry. */
  syslog: z.strictObject({ socket: jailPath }).optional(),
  /** A tree-only jail for sshd's ChrootDirectory (DIR/sshd_config): the command sshd forces, if any. */
  sshd: z.strictObject({ forceCommand: runWord.optional() }).optional(),
  /** The recipe's audit exceptions; absent when it declares none. */
  allow: z.array(allowanceSchema).min(1).optional(),
  entries: z.array(manifestEntrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** Byte-order comparison of paths, the one order used everywhere (manifest, tar, perms.sh). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The manifest as written to disk: entries sorted by path, two-space JSON, a final newline. */
export function serializeManifest(manifest: Manifest): string {
  const sorted = { ...manifest, entries: [...manifest.entries].sort((a, b) => comparePaths(a.path, b.path)) };
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** Reads and re-validates a manifest; any problem is one clean error naming the file and the field. */
export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MkjailError(`Can't read manifest at ${file}: ${errnoWords(error)}`, {
      hint: 'point at a directory built by `mkjail build` (it holds manifest.json)',
    });
  }
  return parseManifest(text, file);
}

export function parseManifest(text: string, file: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MkjailError(`Can't parse manifest at ${file}: not JSON (${(error as Error).message})`, {
      hint: 'rebuild the jail with `mkjail build`',
    });
  }
  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? issue.path.join('.') || '(top level)' : '(unknown)';
    throw new MkjailError(`Can't use manifest at ${file}: field ${where}: ${issue?.message ?? 'invalid'}`, {
      exitCode: EXIT.badInput,
      hint: 'rebuild the jail with `mkjail build`; never edit manifest.json by hand',
    });
  }
  return result.data;
}

/** The numeric permission bits of an entry. */
export function modeBits(entry: { mode: string }): number {
  return Number.parseInt(entry.mode, 8);
}
