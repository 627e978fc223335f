// The registry of config followers, keyed by a recipe's `configs[].format`.
import { namedConfFollower } from './named-conf.js';
import { nginxConfFollower } from './nginx-conf.js';
import { unboundConfFollower } from './unbound-conf.js';
import type { ConfigFollower } from './types.js';

export const CONFIG_FOLLOWERS: readonly ConfigFollower[] = [namedConfFollower, nginxConfFollower, unboundConfFollower];

export function findConfigFollower(format: string): ConfigFollower | undefined {
  return CONFIG_FOLLOWERS.find((f) => f.format === format);
}
