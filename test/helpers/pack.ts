// mkjail packed as users get it (`npm pack`), from a copy of the sources without dist/: prepack builds
// dist/ in the copy, so the checkout's dist/ (other tests run it meanwhile) is never rebuilt.
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './cli.js';

const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'bin', 'src', 'recipes', 'scripts'];

/** Packs mkjail into `destination` (working in `destination`/source); returns the tarball's path. */
export async function packMkjail(destination: string): Promise<string> {
  const source = join(destination, 'source');
  mkdirSync(source);
  for (const name of SOURCES) cpSync(join(REPO_ROOT, name), join(source, name), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'));
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', destination], { cwd: source });
  return join(destination, (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]!.filename);
}
