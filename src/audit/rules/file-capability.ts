// Rule file-capability: no file carries capabilities (the security.capability xattr), read with
// getcap(8) because Node has no xattr API. getcap never follows symlinks; only regular files are asked.
import { existsSync } from 'node:fs';
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { importModule } from '../../dynamic-import.js';
import { EXIT, MkjailError } from '../../errors.js';

/** Files per getcap call: keeps each command line far below ARG_MAX. */
const BATCH = 200;

export const fileCapability: AuditRule = {
  id: 'file-capability',
  severity: 'critical',
  checks: 'a file with capabilities (security.capability xattr)',
  why: 'running it grants kernel privileges (e.g. cap_sys_admin, cap_sys_chroot) that can break out of the jail',
  fix: 'setcap -r it; give capabilities to the service through the launcher instead',
  async check(jail) {
    const regular = jail.entries.filter((entry) => entry.type === 'file');
    // A name that is not UTF-8 can't be passed to getcap: say so rather than skip the file silently.
    const hits: RuleHit[] = regular
      .filter((entry) => !existsSync(entry.host))
      .map((entry) => ({ path: entry.path, found: 'name is not UTF-8, so its capabilities could not be read', fix: 'rename it to a UTF-8 name and audit again' }));
    const files = regular.filter((entry) => existsSync(entry.host));
    for (let start = 0; start < files.length; start += BATCH) {
      const batch = files.slice(start, start + BATCH);
      const output = await runGetcap(batch.map((entry) => entry.host));
      for (const line of output.split('\n')) {
        // The longest name that prefixes the line: "/x/a b cap_x=ep" is "/x/a b", not "/x/a".
        const entry = batch.filter((e) => line.startsWith(`${e.host} `)).sort((a, b) => b.host.length - a.host.length)[0];
        if (entry) hits.push({ path: entry.path, found: `capabilities ${line.slice(entry.host.length + 1)}` });
      }
    }
    return hits;
  },
};

async function runGetcap(files: string[]): Promise<string> {
  const { execa } = await importModule<typeof import('execa')>('execa');
  try {
    const result = await execa('getcap', files, { reject: true, env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    return result.stdout;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new MkjailError(`Can't read file capabilities at ${files[0] ?? '(none)'}: ${code === 'ENOENT' ? 'getcap not found' : String((error as Error).message).split('\n')[0]}`, {
      exitCode: EXIT.environment,
      hint: 'install getcap (Debian package libcap2-bin)',
    });
  }
}
