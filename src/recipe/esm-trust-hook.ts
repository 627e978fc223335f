// A Node module loader hook (registered by recipe-trust.ts, as root only): every file Node's ESM loader
// loads that is not mkjail's own must be one only root could have written. It runs in the loader's own
// thread, so a refusal travels back as an Error whose message carries the problem (TRUST_MARKER).
import type { InitializeHook, LoadHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ownershipProblem, TRUST_MARKER } from './recipe-trust.js';

let ownCode: string[] = [];

export const initialize: InitializeHook<{ ownCode: string[] }> = (data) => {
  ownCode = data.ownCode;
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    const problem = ownCode.some((dir) => file.startsWith(dir)) ? undefined : ownershipProblem(file);
    if (problem) throw new Error(`${TRUST_MARKER}${JSON.stringify({ file, problem })}`);
  }
  return nextLoad(url, context);
};
