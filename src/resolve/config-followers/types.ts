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
}

export interface ConfigFollower {
  /** The value of a recipe's `configs[].format`, e.g. `named.conf`. */
  format: string;
  /** Follows the config at `path` (absolute, inside `root`); throws MkjailError on a parse error. */
  follow(root: string, path: string): ConfigFollowResult;
}
