// The recipe schema: the only definition of what a recipe file may say (strict: unknown keys are errors).
import * as z from '../zod.js';
import { RULE_IDS } from './rule-ids.js';
import { RUN_NETWORKS, recipeName, RUN_CAPABILITIES, runEnvironment, runPts, runShare, runWord, SELF_CHROOT_CAPABILITIES, SERVICE_CAPABILITIES } from './run-shapes.js';

/** Devices a recipe may ask for, with their (Linux) numbers; anything beyond `null` needs a `why`. */
export const DEVICE_NUMBERS = {
  null: { major: 1, minor: 3 },
  zero: { major: 1, minor: 5 },
  full: { major: 1, minor: 7 },
  random: { major: 1, minor: 8 },
  urandom: { major: 1, minor: 9 },
  /** The calling process's controlling terminal (a shell, `ssh -t`); only its own pseudo-terminal in a jail. */
  tty: { major: 5, minor: 0 },
} as const;
export type DeviceName = keyof typeof DEVICE_NUMBERS;
export const DEVICE_NAMES = Object.keys(DEVICE_NUMBERS) as [DeviceName, ...DeviceName[]];

/** An absolute, normal path ("/a/b"): no "..", ".", "//" or trailing "/". */
const absolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'must be an absolute path (start with "/")')
  .refine((p) => !p.split('/').some((c) => c === '..' || c === '.'), 'must not contain "." or ".." components')
  .refine((p) => !p.includes('//') && (p === '/' || !p.endsWith('/')), 'must be a normal path (no "//", no trailing "/")')
  // eslint-disable-next-line no-control-regex
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), 'must not contain control characters (a newline, a tab, a NUL byte)');

/** An absolute path inside the jail other than the jail root itself. */
const jailPathBelowRoot = absolutePath.refine((p) => p !== '/', 'must name something below the jail root, not "/"');

/** A relative path (to the recipe file) or an absolute one; never with ".." escaping anything. */
const sourcePath = z.string().min(1).refine((p) => !p.includes('\0'), 'must not contain a NUL byte');

/** '0750', '750' or 0o750; group/other write and the setuid/setgid/sticky bits are refused. */
const writableMode = z
  .union([
    z.string().regex(/^0?[0-7]{3}$/, 'an octal string such as "0750"'),
    z.number().int().min(0).max(0o777, 'a number must be written in octal (0o750); or give a string such as "0750"'),
  ])
  .transform((m) => (typeof m === 'number' ? m : Number.parseInt(m, 8)))
  .refine((m) => (m & 0o022) === 0, 'must not let group or others write (no 0o020 or 0o002 bit): only the owner writes');

const name = recipeName;
const hostName = z.string().min(1).regex(/^[^:\s/]+$/, 'a user or group name (or number) of the host');

export const fileSpecSchema = z.union([
  jailPathBelowRoot,
  z.strictObject({ from: sourcePath, to: jailPathBelowRoot }),
]);

export const writableSpecSchema = z.strictObject({
  path: jailPathBelowRoot,
  owner: hostName,
  group: hostName,
  mode: writableMode,
  why: z.string().trim().min(1, 'say why the service must write here'),
});

export const deviceSpecSchema = z.union([
  z.string().refine((d) => d === 'null', "only 'null' may be named alone; any other device is { name, why }").transform(() => 'null' as const),
  z.strictObject({ name: z.enum(DEVICE_NAMES), why: z.string().trim().min(1, 'say why the service needs this device') }),
]);

export const runSpecSchema = z.strictObject({
  argv: z.array(runWord.min(1)).min(1),
  env: runEnvironment.optional(),
  chroot: z.enum(['launcher', 'self']).optional(),
  capabilities: z
    .array(
      z.enum(RUN_CAPABILITIES, {
        error: `not a capability a jailed program may keep (only ${SERVICE_CAPABILITIES.join(', ')}; with chroot: 'self', a bounding set from ${SELF_CHROOT_CAPABILITIES.join(', ')})`,
      }),
    )
    .optional(),
  /** 'none': a network namespace of its own with only loopback (no host address, no abstract socket of the host). */
  network: z.enum(RUN_NETWORKS).optional(),
  /** Host namespaces the service stays in (the launcher gives it its own PID and IPC namespaces otherwise). */
  share: runShare.optional(),
  /** A human's program (a shell): the launcher relays a fresh pseudo-terminal from the jail's own devpts. */
  interactive: z.boolean().optional(),
  /** A private devpts instance mounted by the launcher at the jail's /dev/pts (/dev/ptmx links to it). */
  pts: runPts.optional(),
});

export const configSpecSchema = z.strictObject({ format: z.string().min(1), path: absolutePath });

/** A file the recipe writes itself (a config with the port filled in): root-owned 0444, at `path` in the jail. */
export const generatedSpecSchema = z.strictObject({ path: jailPathBelowRoot, text: z.string() });

/** A symlink's target as the link will say it (relative to the link, or absolute in the jail). */
const linkTarget = z
  .string()
  .min(1)
  // eslint-disable-next-line no-control-regex
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), 'must not contain control characters (a newline, a tab, a NUL byte)');

export const linkSpecSchema = z.strictObject({ path: jailPathBelowRoot, target: linkTarget });
/** `{ '/bin/sh': '/usr/bin/busybox' }` or `[{ path, target }]`: root-owned symlinks made in the jail. */
export const linksSchema = z.union([z.record(jailPathBelowRoot, linkTarget), z.array(linkSpecSchema)]);

/** The service user's line in the jail's etc/passwd: its home directory and shell, both in the jail. */
export const accountSpecSchema = z.strictObject({ home: absolutePath.optional(), shell: jailPathBelowRoot.optional() });

/** An audit finding the jail holds on purpose: the rule, the exact path, and why. */
export const allowSpecSchema = z.strictObject({
  rule: z.enum(RULE_IDS, { error: 'not an audit rule id (see mkjail audit --help)' }),
  path: absolutePath,
  why: z.string().trim().min(1, 'say why the jail holds this on purpose'),
});

/** A tree-only jail for sshd's ChrootDirectory: the Match block written beside it (DIR/sshd_config). */
export const sshdSpecSchema = z.strictObject({ forceCommand: runWord.min(1).optional() });

/** The NSS databases a recipe may name in `nss` (shadow and gshadow never: a jail holds no password hash). */
export const NSS_DATABASES = ['passwd', 'group', 'hosts', 'networks', 'protocols', 'services', 'ethers', 'rpc'] as const;
export type NssDatabase = (typeof NSS_DATABASES)[number];

/** The databases whose files mkjail writes itself (etc/passwd, etc/group): the only ones `names` may add to. */
export const NSS_ACCOUNT_DATABASES = ['passwd', 'group'] as const;

/**
 * `'passwd'` (its default sources: files; hosts: files dns) or `{ database, sources?, names? }`: the
 * sources named, and for passwd and group the host users or groups (other than the service's own) the
 * service looks up, copied from the host into the jail's etc/passwd or etc/group.
 */
export const nssSpecSchema = z.union([
  z.enum(NSS_DATABASES, { error: `an NSS database: ${NSS_DATABASES.join(', ')}` }),
  z
    .strictObject({
      database: z.enum(NSS_DATABASES, { error: `an NSS database: ${NSS_DATABASES.join(', ')}` }),
      sources: z.array(z.string().regex(/^[a-z0-9_]+$/, 'an NSS source (a module name such as files, dns, compat)')).min(1).optional(),
      names: z.array(hostName).min(1).optional(),
    })
    .refine((spec) => spec.names === undefined || (NSS_ACCOUNT_DATABASES as readonly string[]).includes(spec.database), {
      message: "names are users (database: 'passwd') or groups (database: 'group') the service looks up; other databases come whole from the host's files",
      path: ['names'],
    }),
]);
export type NssSpec = z.output<typeof nssSpecSchema>;

/** Well-known run-time files a recipe may name in `runtime`, each resolved on the host. */
export const RUNTIME_ITEMS = ['tz', 'openssl', 'ca-certificates', 'gconv', 'libgcc_s', 'locale', 'terminfo', 'resolver'] as const;
export type RuntimeItem = (typeof RUNTIME_ITEMS)[number];

/** One recipe file's own content, after its variables were applied (includes not yet merged). */
export const recipeSchema = z.strictObject({
  name,
  binaries: z.array(jailPathBelowRoot).optional(),
  files: z.array(fileSpecSchema).optional(),
  dirs: z.array(jailPathBelowRoot).optional(),
  user: hostName.optional(),
  group: hostName.optional(),
  /** Create `user` (a system user: no home, no login shell) and its group on the host when missing. */
  createUser: z.boolean().optional(),
  writable: z.array(writableSpecSchema).optional(),
  devices: z.array(deviceSpecSchema).optional(),
  configs: z.array(configSpecSchema).optional(),
  generated: z.array(generatedSpecSchema).optional(),
  run: runSpecSchema.optional(),
  include: z.array(sourcePath).optional(),
  links: linksSchema.optional(),
  account: accountSpecSchema.optional(),
  allow: z.array(allowSpecSchema).optional(),
  syslog: z.boolean().optional(),
  sshd: sshdSpecSchema.optional(),
  nss: z.array(nssSpecSchema).optional(),
  runtime: z.array(z.enum(RUNTIME_ITEMS, { error: `a run-time item: ${RUNTIME_ITEMS.join(', ')}` })).optional(),
});

export type RecipeInput = z.input<typeof recipeSchema>;
export type ParsedRecipe = z.output<typeof recipeSchema>;
export type FileSpec = z.output<typeof fileSpecSchema>;
export type WritableSpec = z.output<typeof writableSpecSchema>;
export type DeviceSpec = z.output<typeof deviceSpecSchema>;
export type RunSpec = z.output<typeof runSpecSchema>;
export type ConfigSpec = z.output<typeof configSpecSchema>;
export type GeneratedSpec = z.output<typeof generatedSpecSchema>;

export type LinkSpec = z.output<typeof linkSpecSchema>;
export type AccountSpec = z.output<typeof accountSpecSchema>;
export type AllowSpec = z.output<typeof allowSpecSchema>;

/** Variables: names to default values (strings, as `--set name=value` gives them). */
export const varsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable name'), z.string());
export type RecipeVars = z.infer<typeof varsSchema>;
