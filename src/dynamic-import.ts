// Node's import(), through one door: the bundle's loader (cli/start.ts) compiles mkjail's code with V8's
// code cache, and code compiled that way has no import() of its own (V8 keeps no dynamic-import callback
// with cached code), so the bundle swaps this module for one that asks the loader to import.

/** The module `specifier` names (a package, a node: module or a file: URL), loaded by Node's ESM loader. */
export function importModule<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
