// A config follower reads a service's configuration the way the service would, and reports every
// file it will open and every place it will write, each with a reason a person can read.

export interface FollowedFile {
  /** Absolute path (inside the root) the service will read. */
  path: string;
  /** The config file (absolute, inside the root) whose statement names it. */
  by: string;
  /** The statement, e.g. `zone "example.test" file`, `include`, `options.bindkeys-file`. */
  what: string;
  /** True when the service runs without it (it only warns): absence is not an error. */
  optional?: boolean;
  /** A secret (a TLS private key, a password file): never readable by others in the jail, 0440 root:service group. */
  private?: boolean;
  /** Code the service loads (dlopen, nginx's load_module): its ELF closure goes into the jail too. */
  loaded?: boolean;
  /**
   * State the service left on the host (a journal, a signed copy, DNSSEC keys): brought into the first
   * build, and later only while the jail still holds it (the jail's copy is then the one kept). `written`
   * state is the service's to rewrite in place (owned by it); `read` state is read-only, as copied files are.
   */
  state?: 'read' | 'written';
}

export interface FollowedWritable {
  /** Absolute directory (inside the root) the service must be able to write. */
  path: string;
  by: string;
  /** Why it must be writable, e.g. `options.directory: working directory (journals, managed keys)`. */
  what: string;
}

export interface ConfigFollowResult {
  files: FollowedFile[];
  writable: FollowedWritable[];
  /** What the follower saw but could not follow (a path built from variables), for the build to print. */
  warnings?: string[];
}

export interface ConfigFollower {
  /** The value of a recipe's `configs[].format`, e.g. `named.conf`. */
  format: string;
  /**
   * Follows the config at `path` (absolute, inside `root`); throws MkjailError on a parse error. `text`,
   * when given, is that file's content (a config the recipe generates); the files it names are read from `root`.
   */
  follow(root: string, path: string, text?: string): ConfigFollowResult;
}
