// bin/mkjail runs the bundle (its loader, dist/bundle/start.cjs, CommonJS) when it is at least as new as tsc's output
// (dist/cli/main.js), and tsc's output otherwise, so that a `tsc` run alone is never shadowed by an
// older bundle; a packed package holds the bundle alone, and runs it. Checked on a copy of bin/ with
// stand-in entries that say which of them ran.
import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { tmpScratch } from '../helpers/scratch.js';

const standIn = (name: string) => `export async function main(argv) { process.stdout.write(${JSON.stringify(name)} + ' ' + argv.join(' ')); return 0; }\n`;
/** The loader is CommonJS, required by bin/mkjail (itself CommonJS: bin/package.json). */
const commonJsStandIn = (name: string) => `exports.main = async (argv) => { process.stdout.write(${JSON.stringify(name)} + ' ' + argv.join(' ')); return 0; };\n`;

describe('bin/mkjail', () => {
  const scratch = tmpScratch('mkjail-bin-entry-', true);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  cpSync(join(REPO_ROOT, 'bin'), join(scratch, 'bin'), { recursive: true });
  writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(scratch, 'dist/cli'), { recursive: true });
  mkdirSync(join(scratch, 'dist/bundle'), { recursive: true });
  const compiled = join(scratch, 'dist/cli/main.js');
  const bundle = join(scratch, 'dist/bundle/start.cjs');
  writeFileSync(compiled, standIn('compiled'));
  writeFileSync(bundle, commonJsStandIn('bundle'));
  const run = async () => (await execa(process.execPath, [join(scratch, 'bin/mkjail'), 'x', 'y'])).stdout;

  it('runs the bundle when it is as new as tsc output or newer or alone, and tsc output when the bundle is older or missing', async () => {
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    at(compiled, 1_000_000);
    at(bundle, 1_000_000);
    const same = await run();
    at(bundle, 1_000_001);
    const newer = await run();
    at(compiled, 1_000_002);
    const older = await run();
    rmSync(compiled);
    const packed = await run();
    writeFileSync(compiled, standIn('compiled'));
    rmSync(bundle);
    const missing = await run();
    expect([same, newer, older, packed, missing]).toEqual(['bundle x y', 'bundle x y', 'compiled x y', 'bundle x y', 'compiled x y']);
  });
});
