// A build killed with SIGKILL at random instants while it stages and swaps never leaves a broken jail: DIR/root is always the
// complete old tree or the complete new one, the service's data survives, and the next build cleans up.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, readManifest } from '../../src/plan/manifest.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { MKJAIL_BIN, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { tmpScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'perl', 'cp'] });

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { version: '1' },
  recipe: (vars) => ({
    name: 'killed',
    files: ['/usr/share/zoneinfo/America', { from: \`./version-\${vars.version}.txt\`, to: '/etc/version' }],
    user: 'nobody',
    writable: [{ path: '/var/lib/killed', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'journals the service writes' }],
  }),
});
`;

const KILLS = 12;
const STAGE_LINE = 'mkjail build: Stage the new jail';
const SWAP_LINE = 'mkjail build: Swap it into';
const MANIFEST_LINE = 'mkjail build: Write the manifest';

/** Starts a build (its own process group) and calls `onLine` with each progress line and the time it came. */
function startBuild(recipe: string, out: string, version: string, onLine: (line: string, at: number) => void) {
  const child = spawn(process.execPath, [MKJAIL_BIN, 'build', recipe, '--out', out, '--set', `version=${version}`], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let buffer = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) onLine(line, Date.now());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

describe.skipIf(!ok)('a build killed with SIGKILL', () => {
  const scratch = tmpScratch('mkjail-sigkill-', ok);
  const recipe = join(scratch, 'recipe.ts');
  const out = join(scratch, 'out');
  const root = join(out, 'root');
  const journal = join(root, 'var/lib/killed/zone.jnl');
  const data = randomBytes(70_000);
  const manifests: Record<string, Manifest> = {};
  /** How long staging and swapping take (from their progress lines to the next): kills land in them. */
  let stageMs = 0;
  let swapMs = 0;

  const build = async (version: string) => {
    const result = await mkjail(['build', recipe, '--out', out, '--set', `version=${version}`, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { changed: boolean };
  };
  const matches = (manifest: Manifest) => verifyJail(root, manifest, { loadCheck: false }).length === 0;

  beforeAll(async () => {
    writeFileSync(recipe, RECIPE);
    writeFileSync(join(scratch, 'version-1.txt'), 'one\n');
    writeFileSync(join(scratch, 'version-2.txt'), 'two, longer\n');
    await build('2');
    manifests['2'] = readManifest(join(out, 'manifest.json'));
    const times: Record<string, number> = {};
    const { exited } = startBuild(recipe, out, '1', (line, at) => {
      for (const key of [STAGE_LINE, SWAP_LINE, MANIFEST_LINE]) if (line.startsWith(key)) times[key] = at;
    });
    expect(await exited).toBe(0);
    stageMs = (times[SWAP_LINE] ?? 0) - (times[STAGE_LINE] ?? 0);
    swapMs = (times[MANIFEST_LINE] ?? 0) - (times[SWAP_LINE] ?? 0);
    expect([stageMs > 0, swapMs >= 0]).toEqual([true, true]);
    manifests['1'] = readManifest(join(out, 'manifest.json'));
    writeFileSync(journal, data, { mode: 0o600 });
    chownSync(journal, 65534, 65534);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it(`leaves the old or the new complete jail, ${KILLS} times at random instants while it stages and swaps, and keeps the data`, async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Always build the other version, so every build has something to swap; kill half of them while
      // staging and half while swapping, each at a random instant of that step.
      const version = matches(manifests['1'] as Manifest) ? '2' : '1';
      const [line, window] = i % 2 === 0 ? [STAGE_LINE, stageMs] : [SWAP_LINE, Math.max(swapMs, 2)];
      const { child, exited } = startBuild(recipe, out, version, (text) => {
        if (!text.startsWith(line)) return;
        setTimeout(() => {
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            // it already finished
          }
        }, Math.random() * window);
      });
      await exited;
      const state = matches(manifests['1'] as Manifest) ? 'old or new (1)' : matches(manifests['2'] as Manifest) ? 'old or new (2)' : 'broken';
      outcomes.push(state);
      expect(state, `after kill ${i}`).not.toBe('broken');
      expect(readFileSync(journal).equals(data), `journal after kill ${i}`).toBe(true);
    }
    expect(outcomes.filter((o) => o === 'broken')).toEqual([]);
  });

  it('is cleaned up by the next build, which completes the jail', async () => {
    await build('2');
    expect(readdirSync(out).sort()).toEqual(['.mkjail-output', 'manifest.json', 'perms.sh', 'root']);
    expect(matches(manifests['2'] as Manifest)).toBe(true);
    expect(readFileSync(journal).equals(data)).toBe(true);
  });

  it('carries writable data over byte for byte on every rebuild, with its owner and mode', async () => {
    const result = await build('1');
    expect(result.changed).toBe(true);
    expect(readFileSync(journal).equals(data)).toBe(true);
    expect(verifyJail(root, manifests['1'] as Manifest, { loadCheck: false })).toEqual([]);
    const again = await build('1');
    expect(again.changed).toBe(false);
  });
});
