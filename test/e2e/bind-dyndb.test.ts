// A dyndb module named loads with dlopen when it reads named.conf (`dyndb NAME "LIB" { ... };`), after
// its chroot: the module and its whole ELF closure must be in the jail, or named refuses its config and
// exits. The module is built here with gcc against BIND 9.18's dyndb interface (DNS_DYNDB_VERSION 1:
// dyndb_version, dyndb_init, dyndb_destroy); it adds no zone, but its init calls into a library of its
// own, found through RUNPATH $ORIGIN/lib, and refuses to start without the parameter it is given. Run by
// the real named. Needs root, named, named-checkconf, dig, gcc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, freeDnsPort, type Running, scratchOptions, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig', 'gcc'], packages: 'bind9 bind9-utils bind9-dnsutils gcc' });

/** The library the module calls when named starts it. */
const CHECK_C = '#include <string.h>\nint mkjt_check(const char *parameters) { return strstr(parameters, "mkjt-ok") != NULL; }\n';

/** A dyndb module that loads, checks its parameters through libmkjtcheck, and adds nothing. */
const MODULE_C = `#include <stdlib.h>
typedef unsigned int isc_result_t;
#define ISC_R_SUCCESS 0
#define ISC_R_FAILURE 25
int mkjt_check(const char *parameters);
int dyndb_version(unsigned int *flags) { (void)flags; return 1; }
isc_result_t dyndb_init(void *mctx, const char *name, const char *parameters, const char *file, unsigned long line, const void *dctx, void **instp) {
  (void)mctx; (void)name; (void)file; (void)line; (void)dctx;
  if (!mkjt_check(parameters)) return ISC_R_FAILURE;
  *instp = malloc(1);
  return ISC_R_SUCCESS;
}
void dyndb_destroy(void **instp) { free(*instp); *instp = NULL; }
`;

describe.skipIf(!ok)('a dyndb module named dlopens in its jail, with its own library', () => {
  const scratch = ok ? makeScratch('bind-dyndb-') : '';
  const module = join(scratch, 'dyndb/mkjt.so');
  const library = join(scratch, 'dyndb/lib/libmkjtcheck.so');
  let jail: BuiltJail;
  let port: number;
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    for (const dir of ['dyndb/lib', 'src', 'etc', 'cache', 'run', 'zones']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    writeFileSync(join(scratch, 'src/check.c'), CHECK_C);
    writeFileSync(join(scratch, 'src/module.c'), MODULE_C);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', library, join(scratch, 'src/check.c')]);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', module, join(scratch, 'src/module.c'), `-L${join(scratch, 'dyndb/lib')}`, '-lmkjtcheck', '-Wl,-rpath,$ORIGIN/lib']);
    writeFileSync(join(scratch, 'zones/db.plain'), '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.66\n');
    writeFileSync(join(scratch, 'etc/named.conf'), [
      'options {',
      scratchOptions(scratch, port),
      '};',
      'controls { };',
      `dyndb "mkjt" "${module}" { mkjt-ok; };`,
      `zone "plain.test" { type primary; file "${scratch}/zones/db.plain"; };`,
      '',
    ].join('\n'));
    jail = await buildBindJailFrom(scratch, join(scratch, 'etc/named.conf'), ['cache', 'run']);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('holds the module and the library it needs, read-only, with the dyndb statement as their reason', () => {
    const entry = (path: string) => jail.manifest.entries.find((e) => e.path === path);
    expect(entry(module)).toMatchObject({ type: 'file', uid: 0, mode: '0555' });
    expect(entry(module)?.reasons).toContainEqual(expect.objectContaining({ kind: 'config', what: 'dyndb: named loads the library with dlopen' }));
    expect(entry(library)?.reasons).toContainEqual(expect.objectContaining({ kind: 'needed', soname: 'libmkjtcheck.so', by: module }));
  });

  it('starts in the jail with the module loaded, and answers', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.plain.test', port, '192.0.2.66', running);
    expect(running.log()).toContain("loading DynDB instance 'mkjt' driver");
  });
});
