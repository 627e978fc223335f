// The tool's own version, read once from package.json (recorded in every manifest).
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const TOOL_VERSION: string = packageJson.version;
