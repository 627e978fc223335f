// The software bill of materials of a built jail: every regular file of DIR/root with its sha256 and
// sha1 (read from the jail, not from the manifest), the Debian package that owns its host source (dpkg's
// database), and for a file no package owns, why the recipe put it there. Rendered as SPDX 2.3 JSON or
// CycloneDX 1.6 JSON.
import { createHash } from 'node:crypto';
import { EXIT, MkjailError } from '../errors.js';
import { readFileBelow } from '../fs/open-below.js';
import type { Manifest, Reason } from '../plan/manifest.js';
import { TOOL_VERSION } from '../version.js';
import { type DebianPackage, type DpkgOwners, debianPurl } from './dpkg-owners.js';

export const SBOM_FORMATS = ['spdx', 'cyclonedx'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface SbomFile {
  path: string;
  sha256: string;
  sha1: string;
  owner?: DebianPackage;
  /** Why the recipe put it in the jail (every reason of the manifest, joined). */
  why: string;
}

export interface JailSbom {
  name: string;
  /** ISO 8601, from SOURCE_DATE_EPOCH when set. */
  created: string;
  files: SbomFile[];
  packages: DebianPackage[];
}

export function reasonText(reason: Reason): string {
  switch (reason.kind) {
    case 'needed':
      return `${reason.soname} needed by ${reason.by} (${reason.via})`;
    case 'interpreter':
    case 'symlink-target':
      return `${reason.kind} of ${reason.of}`;
    case 'recipe':
      return `recipe field ${reason.field}`;
    case 'config':
      return `${reason.what} in ${reason.by}`;
    case 'nss':
      return `NSS service ${reason.service}`;
    case 'device':
    case 'writable':
    case 'identity':
      return `${reason.kind}: ${reason.why}`;
    default:
      return reason.kind;
  }
}

/** Reads every file of the manifest from `root` and maps it to its package. */
export function collectJailSbom(root: string, manifest: Manifest, owners: DpkgOwners, env: NodeJS.ProcessEnv): JailSbom {
  const files: SbomFile[] = [];
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue;
    const bytes = readFileBelow(root, entry.path);
    if (!bytes) {
      throw new MkjailError(`Can't read file at ${root}${entry.path}: missing or not a regular file`, { exitCode: EXIT.badInput, hint: 'run mkjail verify on DIR, then rebuild the jail' });
    }
    const owner = owners.ownerOf(entry.source ?? entry.path);
    files.push({
      path: entry.path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha1: createHash('sha1').update(bytes).digest('hex'),
      ...(owner ? { owner } : {}),
      why: entry.reasons.map(reasonText).join('; '),
    });
  }
  const packages = [...new Map(files.flatMap((f) => (f.owner ? [[debianPurl(f.owner), f.owner] as const] : []))).values()].sort((a, b) => a.name.localeCompare(b.name));
  return { name: manifest.recipe.name, created: createdAt(env), files, packages };
}

function createdAt(env: NodeJS.ProcessEnv): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const date = epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** An SPDX identifier: letters, digits, `.` and `-` only. */
function spdxId(kind: string, text: string): string {
  return `SPDXRef-${kind}-${text.replace(/[^A-Za-z0-9.-]/g, '-')}`;
}

export function renderSpdx(sbom: JailSbom): object {
  const packageId = (pkg: DebianPackage) => spdxId('Package', `${pkg.name}-${pkg.arch}`);
  const fileId = (file: SbomFile) => spdxId('File', createHash('sha256').update(file.path).digest('hex').slice(0, 16));
  const digest = createHash('sha256').update(JSON.stringify(sbom.files)).digest('hex');
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `mkjail jail ${sbom.name}`,
    documentNamespace: `https://spdx.org/spdxdocs/mkjail-${encodeURIComponent(sbom.name)}-${digest}`,
    creationInfo: { created: sbom.created, creators: [`Tool: mkjail-${TOOL_VERSION}`] },
    packages: sbom.packages.map((pkg) => ({
      SPDXID: packageId(pkg),
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      supplier: 'Organization: Debian',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: debianPurl(pkg) }],
    })),
    files: sbom.files.map((file) => ({
      SPDXID: fileId(file),
      fileName: `.${file.path}`,
      checksums: [
        { algorithm: 'SHA1', checksumValue: file.sha1 },
        { algorithm: 'SHA256', checksumValue: file.sha256 },
      ],
      comment: file.owner ? `from Debian package ${file.owner.name}; in the jail as ${file.why}` : `no Debian package owns it; in the jail as ${file.why}`,
    })),
    relationships: [
      ...sbom.files.map((file) => ({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: fileId(file) })),
      ...sbom.files.flatMap((file) => (file.owner ? [{ spdxElementId: packageId(file.owner), relationshipType: 'CONTAINS', relatedSpdxElement: fileId(file) }] : [])),
    ],
  };
}

export function renderCycloneDx(sbom: JailSbom): object {
  const file = (f: SbomFile) => ({
    type: 'file',
    'bom-ref': `file:${f.path}`,
    name: f.path,
    hashes: [
      { alg: 'SHA-1', content: f.sha1 },
      { alg: 'SHA-256', content: f.sha256 },
    ],
    properties: [{ name: 'mkjail:why', value: f.why }, ...(f.owner ? [] : [{ name: 'mkjail:owner', value: 'none: no Debian package owns it' }])],
  });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      timestamp: sbom.created,
      tools: { components: [{ type: 'application', name: 'mkjail', version: TOOL_VERSION }] },
      component: { type: 'application', 'bom-ref': `jail:${sbom.name}`, name: sbom.name },
    },
    components: [
      ...sbom.packages.map((pkg) => ({
        type: 'library',
        'bom-ref': debianPurl(pkg),
        supplier: { name: 'Debian' },
        name: pkg.name,
        version: pkg.version,
        purl: debianPurl(pkg),
        components: sbom.files.filter((f) => f.owner && debianPurl(f.owner) === debianPurl(pkg)).map(file),
      })),
      ...sbom.files.filter((f) => !f.owner).map(file),
    ],
  };
}
