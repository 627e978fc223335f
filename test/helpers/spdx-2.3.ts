// The SPDX 2.3 specification's rules for the fields an SPDX JSON document of a jail uses, written as a
// strict zod schema: the mandatory fields of clauses 6 (document creation), 7 (package), 8 (file) and
// 11 (relationships), their formats, and no field the specification does not define. The published
// JSON schema (spdx-schema.json) is shipped by no npm or Debian 12 package, so this is the check the
// tests can run here; it rejects what the published schema rejects for these fields, and more (the
// published schema leaves formats such as SPDXRef- identifiers of the document and files unchecked).
import { z } from 'zod';

/** 6.3, 7.2, 8.2: "SPDXRef-" then letters, numbers, "." and "-". */
const spdxRef = z.string().regex(/^SPDXRef-[A-Za-z0-9.-]+$/);
/** 6.9: UTC, "YYYY-MM-DDThh:mm:ssZ". */
const utcDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/);
/** 6.8, 7.5: "Person: ...", "Organization: ..." or (creators only) "Tool: ...". */
const agent = (kinds: string) => z.string().regex(new RegExp(`^(${kinds}): \\S`));
/** 7.27 and 8.4: the algorithms SPDX 2.3 names, a lower- or upper-case hex digest. */
const checksum = z.strictObject({
  algorithm: z.enum(['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'SHA3-256', 'SHA3-384', 'SHA3-512', 'BLAKE2b-256', 'BLAKE2b-384', 'BLAKE2b-512', 'BLAKE3', 'MD2', 'MD4', 'MD5', 'MD6', 'ADLER32']),
  checksumValue: z.string().regex(/^[0-9a-fA-F]+$/),
});
const DIGEST_LENGTH: Record<string, number> = { SHA1: 40, SHA256: 64 };

/** 7.21: an external reference; the purl type belongs to the PACKAGE-MANAGER category (Annex F). */
const externalRef = z
  .strictObject({ referenceCategory: z.enum(['SECURITY', 'PACKAGE-MANAGER', 'PERSISTENT-ID', 'OTHER']), referenceType: z.string().min(1), referenceLocator: z.string().regex(/^\S+$/), comment: z.string().optional() })
  .refine((ref) => ref.referenceType !== 'purl' || (ref.referenceCategory === 'PACKAGE-MANAGER' && ref.referenceLocator.startsWith('pkg:')), 'a purl is a PACKAGE-MANAGER reference starting pkg:');

const spdxPackage = z.strictObject({
  SPDXID: spdxRef,
  name: z.string().min(1),
  versionInfo: z.string().min(1).optional(),
  /** 7.7: a URL, NONE or NOASSERTION. */
  downloadLocation: z.union([z.literal('NONE'), z.literal('NOASSERTION'), z.string().regex(/^[a-z+]+:\/\/\S+$/)]),
  filesAnalyzed: z.boolean().optional(),
  supplier: z.union([z.literal('NOASSERTION'), agent('Person|Organization')]).optional(),
  externalRefs: z.array(externalRef).optional(),
});

const spdxFile = z
  .strictObject({
    SPDXID: spdxRef,
    /** 8.1: a relative path, starting "./". */
    fileName: z.string().regex(/^\.\/\S/),
    checksums: z.array(checksum).min(1),
    comment: z.string().optional(),
  })
  // 8.4: a SHA1 checksum is mandatory; a digest has its algorithm's length.
  .refine((file) => file.checksums.some((c) => c.algorithm === 'SHA1'), 'a file has a SHA1 checksum')
  .refine((file) => file.checksums.every((c) => (DIGEST_LENGTH[c.algorithm] ?? c.checksumValue.length) === c.checksumValue.length), 'a digest of its algorithm\'s length');

/** 11.1: the relationship types SPDX 2.3 defines that a jail's document can use. */
const relationship = z.strictObject({
  spdxElementId: spdxRef,
  relationshipType: z.enum(['DESCRIBES', 'DESCRIBED_BY', 'CONTAINS', 'CONTAINED_BY', 'DEPENDS_ON', 'DEPENDENCY_OF', 'GENERATED_FROM', 'GENERATES', 'OTHER']),
  relatedSpdxElement: z.union([spdxRef, z.literal('NONE'), z.literal('NOASSERTION')]),
  comment: z.string().optional(),
});

export const spdx23Document = z
  .strictObject({
    spdxVersion: z.literal('SPDX-2.3'),
    dataLicense: z.literal('CC0-1.0'),
    SPDXID: z.literal('SPDXRef-DOCUMENT'),
    name: z.string().min(1),
    /** 6.5: a unique absolute URI with no "#". */
    documentNamespace: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/[^#\s]+$/),
    creationInfo: z.strictObject({ created: utcDate, creators: z.array(agent('Person|Organization|Tool')).min(1), comment: z.string().optional(), licenseListVersion: z.string().optional() }),
    packages: z.array(spdxPackage).optional(),
    files: z.array(spdxFile).optional(),
    relationships: z.array(relationship).optional(),
  })
  // 2.3: every identifier is unique in its document, and every relationship names elements it holds.
  .superRefine((doc, ctx) => {
    const ids = [doc.SPDXID, ...(doc.packages ?? []).map((p) => p.SPDXID), ...(doc.files ?? []).map((f) => f.SPDXID)];
    const known = new Set(ids);
    if (known.size !== ids.length) ctx.addIssue({ code: 'custom', message: 'an SPDX identifier is used twice' });
    for (const [index, rel] of (doc.relationships ?? []).entries()) {
      for (const id of [rel.spdxElementId, rel.relatedSpdxElement]) {
        if (id.startsWith('SPDXRef-') && !known.has(id)) ctx.addIssue({ code: 'custom', path: ['relationships', index], message: `${id} is not an element of the document` });
      }
    }
  });

/** What the document breaks of SPDX 2.3, one line a rule ([] when it conforms). */
export function spdx23Problems(doc: unknown): string[] {
  const result = spdx23Document.safeParse(doc);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}
