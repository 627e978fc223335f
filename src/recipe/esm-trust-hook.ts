// A Node module loader hook (registered by recipe-trust.ts, as root only): every file Node's ESM loader
// loads that is not mkjail's own must be one only root could have written. It runs in the loader's own
// thread, so a refusal travels back as an Error whose message carries the problem (TRUST_MARKER).
import type { LoadHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ownershipProblem } from '../fs/host-trust.js';
import { isOwnCode, TRUST_MARKER } from './recipe-trust.js';

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    const problem = isOwnCode(file) ? undefined : ownershipProblem(file);
    if (problem) throw new Error(`${TRUST_MARKER}${JSON.stringify({ file, problem })}`);
  }
  return nextLoad(url, context);
};
