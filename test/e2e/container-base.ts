// The base image of examples/container/Dockerfile's build stage (node:20-bookworm-slim), made here since
// no image can be pulled: Debian 12 by mmdebstrap from the Debian mirror the host's apt is configured
// with, the host's own Node 20 (node, npm) in /usr/local as the official image has it, and the host's
// local CA certificates, so npm in the build stage reaches the registry through whatever TLS the host
// trusts. The tarball is cached below CACHE_DIR, keyed by every input, for a week at most (the stage
// runs apt-get update itself, so a week-old base still installs today's packages).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';
const CACHE_DIR = process.env.MKJAIL_TEST_CACHE ?? '/var/cache/mkjail-test';
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const LOCAL_CAS = '/usr/local/share/ca-certificates';
const SUITE = /^bookworm(-updates|-security)?$/;

/** `buildah` on a storage of its own below `dir` (vfs), so nothing of the host's images is touched. */
export function privateBuildah(dir: string) {
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  return (args: string[]) => execa('buildah', [...global, ...args]);
}
export type Buildah = ReturnType<typeof privateBuildah>;

/** Debian 12's apt sources on this host as one-line entries, from sources.list and sources.list.d (both formats). */
export function debianSources(): string[] {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d')) files.push(...readdirSync('/etc/apt/sources.list.d').sort().map((f) => join('/etc/apt/sources.list.d', f)));
  const lines = files.filter(existsSync).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) return fromDeb822(text);
    return file.endsWith('.list') ? fromOneLine(text) : [];
  });
  if (lines.length === 0) throw new Error('no Debian 12 (bookworm) entry in /etc/apt/sources.list or sources.list.d: the base is made from that mirror');
  return [...new Set(lines)];
}

function fromOneLine(text: string): string[] {
  return text.split('\n').flatMap((raw) => {
    const words = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    const [type, uri, suite, ...components] = words;
    return type === 'deb' && uri && suite && SUITE.test(suite) ? [`deb ${uri} ${suite} ${components.join(' ')}`] : [];
  });
}

function fromDeb822(text: string): string[] {
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim().split(/\s+/) ?? [];
    if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) return [];
    return field('URIs').flatMap((uri) => field('Suites').filter((s) => SUITE.test(s)).map((suite) => `deb ${uri} ${suite} ${field('Components').join(' ')}`));
  });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The host's Node: its binary and npm's directory (Node 20 required: the Dockerfile asks for it). */
function hostNode(): { node: string; npm: string } {
  if (!process.versions.node.startsWith('20.')) throw new Error(`the base needs Node 20; this host runs Node ${process.versions.node}`);
  const npmCli = realpathSync(join(dirname(process.execPath), 'npm'));
  return { node: process.execPath, npm: dirname(dirname(npmCli)) };
}

function localCas(): string[] {
  return existsSync(LOCAL_CAS) ? readdirSync(LOCAL_CAS).filter((f) => f.endsWith('.crt')).sort().map((f) => join(LOCAL_CAS, f)) : [];
}

function mmdebstrapArgs(sources: string[], node: { node: string; npm: string }, output: string): string[] {
  return [
    '--variant=minbase', '--mode=root', '--format=tar', '--include=ca-certificates',
    '--customize-hook=mkdir -p "$1/usr/local/lib/node_modules/npm" "$1/usr/local/share/ca-certificates"',
    `--customize-hook=copy-in ${node.node} /usr/local/bin`,
    `--customize-hook=sync-in ${node.npm} /usr/local/lib/node_modules/npm`,
    ...(existsSync(LOCAL_CAS) ? [`--customize-hook=sync-in ${LOCAL_CAS} /usr/local/share/ca-certificates`] : []),
    '--customize-hook=chroot "$1" update-ca-certificates',
    '--customize-hook=ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
    '--customize-hook=chroot "$1" node --version',
    'bookworm', output, ...sources,
  ];
}

/** The cache directory, when it is safe to trust: root's, writable by nobody else. */
function trustedCacheDir(): string | undefined {
  mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
  const stat = statSync(CACHE_DIR);
  return stat.uid === 0 && (stat.mode & 0o022) === 0 ? CACHE_DIR : undefined;
}

/**
 * The base as a root file system tarball: from the cache when one made from the same inputs (mirror
 * entries, node binary, npm, local CAs, mmdebstrap version, hooks) is there and younger than a week,
 * else made now (in `scratch` when the cache directory can't be trusted). `made` says which.
 */
export async function baseTarball(scratch: string): Promise<{ path: string; made: boolean }> {
  const sources = debianSources();
  const node = hostNode();
  const mmdebstrap = (await execa('mmdebstrap', ['--version'])).stdout.trim();
  const key = createHash('sha256')
    .update(JSON.stringify({ sources, mmdebstrap, node: sha256(node.node), npm: readFileSync(join(node.npm, 'package.json'), 'utf8'),
      cas: localCas().map((f) => [f, sha256(f)]), args: mmdebstrapArgs(sources, node, '') }))
    .digest('hex').slice(0, 16);
  const dir = trustedCacheDir() ?? scratch;
  const path = join(dir, `debian12-node20-${key}.tar`);
  if (existsSync(path) && Date.now() - statSync(path).mtimeMs < MAX_AGE_MS) return { path, made: false };
  const partial = `${path}.${process.pid}.partial`;
  try {
    await execa('mmdebstrap', mmdebstrapArgs(sources, node, partial));
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
  for (const old of readdirSync(dir).filter((f) => /^debian12-node20-[0-9a-f]{16}\.tar$/.test(f) && join(dir, f) !== path)) rmSync(join(dir, old), { force: true });
  return { path, made: true };
}

/** Imports the base tarball as BASE_IMAGE, with the image's PATH and Node's trust of the system's CAs. */
export async function importBase(buildah: Buildah, tarball: string): Promise<void> {
  const container = (await buildah(['from', 'scratch'])).stdout.trim();
  await buildah(['add', container, tarball, '/']);
  await buildah(['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--env', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', '--cmd', 'node', container]);
  await buildah(['commit', '--quiet', '--rm', container, BASE_IMAGE]);
}
