// `mkjail sbom DIR [--format spdx|cyclonedx]`: the jail's files, their hashes and the Debian packages
// that own them, as an SPDX 2.3 or CycloneDX 1.6 JSON document on stdout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MkjailError } from '../../errors.js';
import { readManifest } from '../../plan/manifest.js';
import { readDpkgOwners } from '../../sbom/dpkg-owners.js';
import { SBOM_FORMATS, type SbomFormat, collectJailSbom, renderCycloneDx, renderSpdx } from '../../sbom/jail-sbom.js';
import type { Command } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail sbom DIR [--format spdx|cyclonedx]

Prints the software bill of materials of the jail DIR/root on stdout: every file listed in
DIR/manifest.json with its SHA-256 and SHA-1 (read from the jail), the Debian package that owns its
host source (from dpkg's database, /var/lib/dpkg) with its version and purl
(pkg:deb/debian/NAME@VERSION?arch=ARCH), and, for a file no package owns (recipe files, the generated
passwd), why the recipe put it there. Run it as root: the jail's files are root-only.

Options:
  --format spdx       SPDX 2.3 JSON (default)
  --format cyclonedx  CycloneDX 1.6 JSON

Exit codes:
  0   printed
  2   bad arguments, DIR or its manifest missing or invalid, a file of the manifest missing in the jail

Example:
  mkjail sbom /srv/jails/bind --format cyclonedx > bind.cdx.json
`;

export const sbomCommand: Command = {
  name: 'sbom',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('sbom', () =>
      parseArgs({ args, options: { format: { type: 'string', default: 'spdx' } }, allowPositionals: true, strict: true }),
    );
    const format = SBOM_FORMATS.find((f) => f === values.format);
    if (!format) throw new MkjailError(`bad arguments: --format ${values.format} is not a format`, { hint: 'use --format spdx or --format cyclonedx' });
    const [dir, ...rest] = positionals;
    if (dir === undefined || rest.length > 0) throw new MkjailError(`bad arguments: expected one DIR, got ${positionals.length}`, { hint: "run 'mkjail sbom --help'" });
    if (!existsSync(join(dir, 'root'))) throw new MkjailError(`Can't read jail at ${join(dir, 'root')}: missing`, { hint: 'pass the directory `mkjail build` wrote (it holds root/ and manifest.json)' });
    const manifest = readManifest(join(dir, 'manifest.json'));
    const sbom = collectJailSbom(join(dir, 'root'), manifest, readDpkgOwners(), io.env);
    io.stdout.write(`${JSON.stringify(render(format, sbom), null, 2)}\n`);
    return 0;
  },
};

function render(format: SbomFormat, sbom: ReturnType<typeof collectJailSbom>): object {
  return format === 'spdx' ? renderSpdx(sbom) : renderCycloneDx(sbom);
}
