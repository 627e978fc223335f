// Builds a small real jail tree (as root: owners, device nodes) and its manifest, written by hand
// from the same declarations, so verify and perms.sh can be tested before and beside `mkjail build`.
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { MANIFEST_FORMAT, serializeManifest, type Manifest, type ManifestEntry, type Reason } from '../../src/plan/manifest.js';
import { TOOL_VERSION } from '../../src/version.js';

export type FixtureEntry =
  | { type: 'dir'; path: string; mode: string; uid?: number; gid?: number; reasons?: Reason[] }
  | { type: 'file'; path: string; mode: string; content: string | Buffer; uid?: number; gid?: number; reasons?: Reason[] }
  | { type: 'symlink'; path: string; target: string; reasons?: Reason[] }
  | { type: 'chardev'; path: string; mode: string; major: number; minor: number; reasons?: Reason[] };

export interface Fixture {
  /** The jail directory: root/, manifest.json (perms.sh when a test writes it). */
  dir: string;
  root: string;
  manifest: Manifest;
  cleanup(): void;
}

/** The host's ids of `name` (a user and a group of that name), read with getent. */
export function hostIds(name: string): { uid: number; gid: number } {
  const field = (db: string) => Number(execaSync('getent', [db, name]).stdout.split(':')[2]);
  return { uid: field('passwd'), gid: field('group') };
}

/** The service user of the fixtures: Debian's `daemon` account. */
export const SERVICE = 'daemon';

/**
 * A jail with a binary, a library directory reached through a symlink, /dev/null, a generated file,
 * file names with a space, a quote and a newline, and a writable cache directory holding service data.
 */
export function sampleEntries(): FixtureEntry[] {
  const { uid, gid } = hostIds(SERVICE);
  return [
    { type: 'dir', path: '/', mode: '0555', reasons: [{ kind: 'parent-dir' }] },
    { type: 'dir', path: '/dev', mode: '0111', reasons: [{ kind: 'device', why: 'the service opens /dev/null' }] },
    { type: 'chardev', path: '/dev/null', mode: '0666', major: 1, minor: 3, reasons: [{ kind: 'device', why: 'the service opens /dev/null' }] },
    { type: 'dir', path: '/etc', mode: '0555' },
    { type: 'file', path: '/etc/it\'s a "quoted" name.conf', mode: '0444', content: 'listen 53;\n', reasons: [{ kind: 'config', by: '/usr/sbin/svc', what: 'its main configuration' }] },
    { type: 'file', path: '/etc/new\nline', mode: '0440', content: 'odd\n', gid, reasons: [{ kind: 'recipe', field: 'files' }] },
    { type: 'file', path: '/etc/passwd', mode: '0444', content: `${SERVICE}:x:${uid}:${gid}::/nonexistent:/usr/sbin/nologin\n`, reasons: [{ kind: 'identity', why: 'the service looks up its own name' }] },
    { type: 'symlink', path: '/lib', target: 'usr/lib', reasons: [{ kind: 'needed', soname: 'libsvc.so.1', by: '/usr/sbin/svc', via: 'default' }] },
    { type: 'dir', path: '/usr', mode: '0555' },
    { type: 'dir', path: '/usr/lib', mode: '0555' },
    { type: 'file', path: '/usr/lib/libsvc.so.1', mode: '0444', content: 'not really a library\n', reasons: [{ kind: 'needed', soname: 'libsvc.so.1', by: '/usr/sbin/svc', via: 'default' }] },
    { type: 'dir', path: '/usr/sbin', mode: '0555' },
    { type: 'file', path: '/usr/sbin/svc', mode: '0555', content: '#!/bin/false\n', reasons: [{ kind: 'binary' }] },
    { type: 'dir', path: '/var', mode: '0555' },
    { type: 'dir', path: '/var/cache', mode: '0555' },
    { type: 'dir', path: '/var/cache/svc', mode: '0700', uid, gid, reasons: [{ kind: 'writable', why: 'the service keeps its cache here' }] },
  ];
}

/** Creates the tree of `entries` under a new scratch directory and writes its manifest. */
export function makeFixture(entries: FixtureEntry[] = sampleEntries()): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'mkjail-fixture-'));
  const root = join(dir, 'root');
  for (const entry of entries) createEntry(root, entry);
  // Modes last, deepest first, so a tight directory never stands in the way of its children.
  for (const entry of [...entries].reverse()) if (entry.type !== 'symlink') chmodSync(join(root, entry.path), Number.parseInt(entry.mode, 8));
  const manifest = manifestOf(entries);
  writeFileSync(join(dir, 'manifest.json'), serializeManifest(manifest));
  return { dir, root, manifest, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The manifest the build would write for `entries`: service identity, the writable cache directory. */
export function manifestOf(entries: FixtureEntry[]): Manifest {
  const { uid, gid } = hostIds(SERVICE);
  const writable = entries.flatMap((e) =>
    (e.type === 'dir' || e.type === 'file') && e.reasons?.[0]?.kind === 'writable'
      ? [{ path: e.path, owner: SERVICE, group: SERVICE, mode: e.mode, why: e.reasons[0].why }]
      : [],
  );
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: TOOL_VERSION },
    recipe: { name: 'fixture', sha256: '0'.repeat(64) },
    identity: { user: SERVICE, uid, group: SERVICE, gid },
    writable,
    run: null,
    entries: entries.map(manifestEntry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

function manifestEntry(entry: FixtureEntry): ManifestEntry {
  const reasons = entry.reasons ?? [{ kind: 'parent-dir' as const }];
  switch (entry.type) {
    case 'dir':
      return { type: 'dir', path: entry.path, mode: entry.mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, reasons };
    case 'file': {
      const sha256 = createHash('sha256').update(entry.content).digest('hex');
      const size = Buffer.byteLength(entry.content);
      return { type: 'file', path: entry.path, mode: entry.mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, size, sha256, reasons };
    }
    case 'symlink':
      return { type: 'symlink', path: entry.path, mode: '0777', uid: 0, gid: 0, target: entry.target, reasons };
    case 'chardev':
      return { type: 'chardev', path: entry.path, mode: entry.mode, uid: 0, gid: 0, major: entry.major, minor: entry.minor, reasons };
  }
}

function createEntry(root: string, entry: FixtureEntry): void {
  const host = join(root, entry.path);
  switch (entry.type) {
    case 'dir':
      mkdirSync(host, { recursive: true });
      lchownSync(host, entry.uid ?? 0, entry.gid ?? 0);
      return;
    case 'file':
      writeFileSync(host, entry.content);
      lchownSync(host, entry.uid ?? 0, entry.gid ?? 0);
      return;
    case 'symlink':
      symlinkSync(entry.target, host);
      lchownSync(host, 0, 0);
      return;
    case 'chardev':
      makeCharDevice(host, entry.major, entry.minor);
      return;
  }
}

/** mknod(1): Node has no mknod. Needs root. */
export function makeCharDevice(path: string, major: number, minor: number): void {
  execaSync('mknod', [path, 'c', String(major), String(minor)]);
}
