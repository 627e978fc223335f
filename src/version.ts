// The tool's own version, read once from package.json (recorded in every manifest).
import { readFileSync } from 'node:fs';

/**
 * The package's root: one level above this file as compiled by tsc (dist/version.js, or src/version.ts
 * under vitest), two above it in the bundle (dist/bundle/*.js, scripts in package.json).
 */
const packageRoot = new URL(new URL('.', import.meta.url).href.endsWith('/dist/bundle/') ? '../../' : '../', import.meta.url);

const packageJson = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as {
  version: string;
};

export const TOOL_VERSION: string = packageJson.version;
