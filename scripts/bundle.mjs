// Bundles tsc's output (dist/) for bin/mkjail: all of mkjail's code in one CommonJS file
// (dist/bundle/mkjail.cjs, which dist/bundle/start.cjs compiles with V8's code cache), the plan's digest
// worker, and the loader itself. execa, jiti and listr2 stay packages, imported where they are used.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };

/** The loader gives the bundle its import() (code compiled from V8's cache has none of its own). */
const importThroughLoader = {
  name: 'import-through-loader',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]dynamic-import\.js$/ }, () => ({
      contents: 'export function importModule(specifier) { return __mkjailImport(specifier); }\n',
      loader: 'js',
    }));
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: ['dist/cli/main.js'],
    outfile: 'dist/bundle/mkjail.cjs',
    format: 'cjs',
    external: ['jiti', 'listr2', 'execa'],
    define: { 'import.meta.url': '__mkjailImportMetaUrl' },
    banner: { js: '"use strict";' },
    plugins: [importThroughLoader],
  }),
  build({ ...common, entryPoints: ['dist/plan/digest-worker.js'], outfile: 'dist/bundle/digest-worker.js', format: 'esm' }),
  // CommonJS like bin/mkjail, which requires it: a build that imports no ES module never starts Node's ESM loader.
  build({
    ...common,
    entryPoints: ['dist/cli/start.js'],
    outfile: 'dist/bundle/start.cjs',
    format: 'cjs',
    define: { 'import.meta.url': '__mkjailStartUrl' },
    banner: { js: '"use strict";\nvar __mkjailStartUrl = require("node:url").pathToFileURL(__filename).href;' },
  }),
]);

/**
 * esbuild escapes what is not ASCII in code, but keeps some comments as written (zod has one with a
 * dash). Escaped there too, the bundle is ASCII: the loader reads it as latin1 into a one-byte string,
 * half the memory of a two-byte one and faster to decode, scan and compile.
 */
const BUNDLE = 'dist/bundle/mkjail.cjs';
const text = readFileSync(BUNDLE, 'utf8');
const ascii = text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (ascii !== text) writeFileSync(BUNDLE, ascii);
