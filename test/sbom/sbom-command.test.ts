// `mkjail sbom` on a real BIND jail (wrapper mode: named and its whole library closure): the CycloneDX
// document validates against the published CycloneDX 1.6 schema (shipped by @cyclonedx/cyclonedx-library)
// with ajv; the SPDX 2.3 document meets the specification's rules for its fields (test/helpers/spdx-2.3.ts,
// as no package ships SPDX's published schema); named's libraries map to the Debian packages dpkg-query
// says are installed, by version.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usrMergeSpellings } from '../../src/sbom/dpkg-owners.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { spdx23Problems } from '../helpers/spdx-2.3.js';

const ok = prerequisites({ root: true, commands: ['named', 'dpkg-query'], packages: 'bind9 dpkg' });
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function cycloneDxValidator(): (doc: unknown) => string[] {
  const schemas = join(dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
  const load = (name: string) => JSON.parse(readFileSync(join(schemas, name), 'utf8')) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('iri-reference', /^\S*$/);
  // The bom schema refers to these by names relative to its own $id.
  for (const name of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json', 'cryptography-defs.SNAPSHOT.schema.json']) {
    const { $id: _id, ...schema } = load(name) as { $id?: string };
    ajv.addSchema(schema, `http://cyclonedx.org/schema/${name}`);
  }
  const validate = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

async function installedVersion(pkg: string): Promise<string> {
  return (await execa('dpkg-query', ['-W', '-f=${Version}', pkg])).stdout;
}

describe('usrMergeSpellings', () => {
  it('looks a path up as dpkg may have listed it on a usrmerged system', () => {
    expect(usrMergeSpellings('/usr/lib/x86_64-linux-gnu/libc.so.6')).toEqual(['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6']);
    expect(usrMergeSpellings('/lib64/ld-linux-x86-64.so.2')).toEqual(['/lib64/ld-linux-x86-64.so.2', '/usr/lib64/ld-linux-x86-64.so.2']);
    expect(usrMergeSpellings('/etc/passwd')).toEqual(['/etc/passwd']);
  });
});

describe.skipIf(!ok)('mkjail sbom on a wrapper-mode BIND jail', () => {
  let jail: BuiltJail;
  beforeAll(async () => {
    jail = await buildJail(join(REPO_ROOT, 'recipes/bind.ts'), { set: { mode: 'wrapper' } });
  }, 120_000);
  afterAll(() => jail?.cleanup());

  it('prints CycloneDX 1.6 that the published schema accepts, with named and its libraries in their packages', async () => {
    const result = await mkjail(['sbom', jail.dir, '--format', 'cyclonedx'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { metadata: { timestamp: string }; components: Array<{ name: string; purl?: string; type: string; properties?: Array<{ name: string; value: string }>; components?: Array<{ name: string; hashes: Array<{ alg: string; content: string }> }> }> };
    const validate = cycloneDxValidator();
    expect(validate(doc)).toEqual([]);
    // The schema check can fail: a hash algorithm CycloneDX does not know is refused.
    const broken = structuredClone(doc);
    broken.components[0]?.components?.[0]?.hashes.push({ alg: 'SHA-257', content: 'x' });
    expect(validate(broken).length).toBeGreaterThan(0);
    expect(doc.metadata.timestamp).toBe('2023-11-14T22:13:20Z');
    const ownerOf = (file: RegExp) => doc.components.find((c) => c.components?.some((f) => file.test(f.name)))?.purl;
    for (const [file, pkg] of [[/\/named$/, 'bind9'], [/\/libssl\.so\.3$/, 'libssl3'], [/\/libuv\.so\.1(\.|$)/, 'libuv1'], [/\/libc\.so\.6$/, 'libc6']] as const) {
      expect(ownerOf(file), String(file)).toBe(`pkg:deb/debian/${pkg}@${encodeURIComponent(await installedVersion(pkg))}?arch=amd64`);
    }
    const named = doc.components.flatMap((c) => c.components ?? []).find((f) => f.name === '/usr/sbin/named');
    const sha256 = (await execa('sha256sum', [join(jail.root, 'usr/sbin/named')])).stdout.split(' ')[0];
    expect(named?.hashes.find((h) => h.alg === 'SHA-256')?.content).toBe(sha256);
    // Files no package owns (the generated passwd...) are listed as such, with the recipe's reason.
    const unowned = doc.components.filter((c) => c.type === 'file');
    expect(unowned.length).toBeGreaterThan(0);
    const property = (c: (typeof unowned)[number], name: string) => c.properties?.find((p) => p.name === name)?.value ?? '';
    for (const file of unowned) {
      expect(property(file, 'mkjail:owner'), file.name).toBe('none: no Debian package owns it');
      expect(property(file, 'mkjail:why'), file.name).not.toBe('');
    }
    expect(unowned.map((c) => c.name)).toContain('/etc/passwd');
  });

  it('prints SPDX 2.3 with every file hashed, each owned one tied to its package by a CONTAINS relationship', async () => {
    const result = await mkjail(['sbom', jail.dir]);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      spdxVersion: string;
      packages: Array<{ SPDXID: string; name: string; versionInfo: string; externalRefs: Array<{ referenceLocator: string }> }>;
      files: Array<{ SPDXID: string; fileName: string; checksums: Array<{ algorithm: string }>; comment: string }>;
      relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }>;
    };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(spdx23Problems(doc)).toEqual([]);
    // The conformance check can fail: a file without its mandatory SHA1, a relationship to nothing.
    const broken = structuredClone(doc);
    broken.files[0]?.checksums.shift();
    broken.relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-File-none' });
    expect(spdx23Problems(broken)).toEqual(['files.0: a file has a SHA1 checksum', 'relationships.' + String(doc.relationships.length) + ': SPDXRef-File-none is not an element of the document']);
    expect(doc.files.length).toBe(jail.manifest.entries.filter((e) => e.type === 'file').length);
    expect(doc.files.every((f) => f.checksums.map((c) => c.algorithm).join() === 'SHA1,SHA256')).toBe(true);
    const libssl = doc.packages.find((p) => p.name === 'libssl3');
    expect(libssl?.versionInfo).toBe(await installedVersion('libssl3'));
    const sslFile = doc.files.find((f) => f.fileName.endsWith('/libssl.so.3'));
    expect(doc.relationships).toContainEqual({ spdxElementId: libssl?.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: sslFile?.SPDXID });
    expect(doc.files.find((f) => f.fileName === './etc/passwd')?.comment ?? 'no passwd in this jail: fine').toMatch(/no Debian package owns it|no passwd/);
  });

  it('refuses an unknown format with exit 2', async () => {
    const result = await mkjail(['sbom', jail.dir, '--format', 'xml']);
    expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({ exitCode: 2, stderr: 'mkjail sbom: bad arguments: --format xml is not a format (fix: use --format spdx or --format cyclonedx)' });
  });
});
