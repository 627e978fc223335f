// Shapes a recipe and the manifest both hold to: the recipe's name, and what `run` may say (argv words,
// environment names, kept capabilities). The recipe schema checks them on the way in, the manifest schema
// again when DIR/manifest.json is read back.
import * as z from '../zod.js';

/** A recipe's name: a short id that also names files beside the jail (DIR/<name>.service), so never a path. */
export const recipeName = z.string().regex(/^[a-z0-9-]+$/, 'a short id of lowercase letters, digits and "-"');

/**
 * Capabilities a program the launcher starts may keep after the drop to its user (ambient, in setpriv's
 * words): the only way such a program holds any. Binding a port below 1024 is the one need so far.
 */
export const SERVICE_CAPABILITIES = ['net_bind_service'] as const;
export type ServiceCapability = (typeof SERVICE_CAPABILITIES)[number];

/**
 * The bounding set a daemon that chroots and drops root by itself (`chroot: 'self'`) may ask for: it
 * starts as root, and keeps no capability outside this list, whatever it does. Each, and why a daemon
 * needs it before its drop (BIND's named asks for all of them, its linux_initialprivs):
 *   net_bind_service  bind a port below 1024
 *   sys_chroot        chroot into the jail
 *   setuid, setgid    drop to its user and group (setresuid, setgroups)
 *   dac_read_search   read root-only files on the host before the drop (keys, its config)
 *   sys_resource      raise its own limits (open files) before the drop
 *   chown             give the files it makes (pid file, journals) to its user
 */
export const SELF_CHROOT_CAPABILITIES = ['net_bind_service', 'sys_chroot', 'setuid', 'setgid', 'dac_read_search', 'sys_resource', 'chown'] as const;
export type SelfChrootCapability = (typeof SELF_CHROOT_CAPABILITIES)[number];

/** Every capability name `run.capabilities` may hold: which ones depend on `run.chroot`. */
export const RUN_CAPABILITIES = [...new Set([...SERVICE_CAPABILITIES, ...SELF_CHROOT_CAPABILITIES])] as [SelfChrootCapability, ...SelfChrootCapability[]];
export type RunCapability = (typeof RUN_CAPABILITIES)[number];

/** A control character would end its line in DIR/launch or the systemd unit, which write argv and env. */
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/** One word of `run.argv` or one value of `run.env`. */
export const runWord = z
  .string()
  .refine((word) => !CONTROL_CHARACTER.test(word), 'must not contain a control character (a newline would start a new line of DIR/launch or of the systemd unit)');

/**
 * Variables glibc removes from the environment of privileged (setuid) programs: its UNSECURE_ENVVARS
 * (sysdeps/generic/unsecvars.h) besides the LD_ ones, which are refused by prefix, as MALLOC_ (its
 * malloc tunables) is. The launcher's setpriv and chroot(8) run as root on the host with `run.env`.
 */
export const UNSAFE_ENVIRONMENT_NAMES = [
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'LOCPATH',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TMPDIR',
  'TZDIR',
] as const;
const UNSAFE_ENVIRONMENT_PREFIXES = ['LD_', 'MALLOC_'] as const;

/**
 * OpenSSL's configuration, engine and provider paths: in `chroot: 'self'` mode the daemon (named) loads
 * them as root on the host before its own chroot, so they would pick host code to run as root.
 */
export const OPENSSL_ENVIRONMENT_NAMES = ['OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES'] as const;

/** Why `name` may not be set in `run.env`, and where to say so: at `env` for a bad name (it may hold a newline). */
function environmentNameIssue(name: string): { message: string; path: string[] } | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return { message: `${JSON.stringify(name)} is not an environment variable name (letters, digits and "_", not starting with a digit)`, path: [] };
  }
  if ((OPENSSL_ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
    return {
      message: `not allowed: a self-chrooting daemon loads OpenSSL's configuration, engines and providers as root on the host before its chroot (refused: ${OPENSSL_ENVIRONMENT_NAMES.join(', ')})`,
      path: [name],
    };
  }
  const unsafe = (UNSAFE_ENVIRONMENT_NAMES as readonly string[]).includes(name) || UNSAFE_ENVIRONMENT_PREFIXES.some((p) => name.startsWith(p));
  if (!unsafe) return undefined;
  return {
    message: "not allowed: glibc ignores it in privileged programs, and the launcher's setpriv and chroot run as root on the host with this environment (refused: LD_*, MALLOC_*, GLIBC_TUNABLES and glibc's list of unsafe variables)",
    path: [name],
  };
}

/** `run.env`: names that are safe for a program started as root, values on one line. */
export const runEnvironment = z.record(z.string(), runWord).superRefine((env, context) => {
  for (const name of Object.keys(env)) {
    const issue = environmentNameIssue(name);
    if (issue) context.addIssue({ code: 'custom', ...issue });
  }
});

/**
 * The launcher's isolations a service may give up, each only with a reason: the host's PID namespace
 * (it must see or signal host processes) or its IPC namespace (it shares SysV IPC or POSIX message
 * queues with host processes).
 */
export const SHAREABLE_NAMESPACES = ['pid', 'ipc'] as const;
export type ShareableNamespace = (typeof SHAREABLE_NAMESPACES)[number];

/** `run.share`: host namespaces the service stays in, with why. */
export const runShare = z
  .array(z.strictObject({ namespace: z.enum(SHAREABLE_NAMESPACES), why: z.string().trim().min(1, 'say why the service must share this host namespace') }))
  .min(1);

/** `run.network`: the host's network (default), or a network namespace of its own holding only loopback. */
export const RUN_NETWORKS = ['host', 'none'] as const;

/** `run.pts`: a private devpts instance at the jail's /dev/pts, mounted by the launcher. */
export const runPts = z.strictObject({ why: z.string().trim().min(1, 'say why the service needs pseudo-terminals') });
