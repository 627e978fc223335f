// A DLZ driver named loads with dlopen when it reads named.conf (`dlz NAME { database "dlopen LIB ..."; }`),
// after its chroot: the driver and its whole ELF closure must be in the jail. The driver is built here
// with gcc against BIND 9.18's dlopen DLZ interface (version 3, as contrib/dlz/modules' dlz_minimal.h
// declares it), and takes the address it answers from a library of its own, found through
// RUNPATH $ORIGIN/lib: only a jail that holds that library too can answer. Run by the real named.
// Needs root, named, named-checkconf, dig, gcc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, dig, freeDnsPort, type Running, scratchOptions, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig', 'gcc'], packages: 'bind9 bind9-utils bind9-dnsutils gcc' });

/** The library the driver takes its answer from. */
const ADDRESS_C = 'const char *mkjt_address(void) { return "192.0.2.77"; }\n';

/** A minimal DLZ dlopen driver for the zone named in its arguments: SOA and NS at the apex, www A from libmkjtaddr. */
const DRIVER_C = `#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
typedef unsigned int isc_result_t;
typedef struct lookup lookup_t;
typedef isc_result_t putrr_t(lookup_t *lookup, const char *type, unsigned int ttl, const char *data);
#define ISC_R_SUCCESS 0
#define ISC_R_NOTFOUND 23
#define ISC_R_FAILURE 25
const char *mkjt_address(void);
struct state { char *zone; putrr_t *putrr; };
int dlz_version(unsigned int *flags) { (void)flags; return 3; }
isc_result_t dlz_create(const char *dlzname, unsigned int argc, char *argv[], void **dbdata, ...) {
  (void)dlzname;
  if (argc < 2) return ISC_R_FAILURE;
  struct state *state = calloc(1, sizeof *state);
  state->zone = strdup(argv[1]);
  va_list ap;
  va_start(ap, dbdata);
  for (const char *name = va_arg(ap, const char *); name != NULL; name = va_arg(ap, const char *)) {
    void *fn = va_arg(ap, void *);
    if (strcmp(name, "putrr") == 0) state->putrr = (putrr_t *)fn;
  }
  va_end(ap);
  *dbdata = state;
  return state->putrr ? ISC_R_SUCCESS : ISC_R_FAILURE;
}
void dlz_destroy(void *dbdata) { struct state *state = dbdata; free(state->zone); free(state); }
isc_result_t dlz_findzonedb(void *dbdata, const char *name, void *methods, void *clientinfo) {
  (void)methods; (void)clientinfo;
  return strcmp(name, ((struct state *)dbdata)->zone) == 0 ? ISC_R_SUCCESS : ISC_R_NOTFOUND;
}
isc_result_t dlz_lookup(const char *zone, const char *name, void *dbdata, lookup_t *lookup, void *methods, void *clientinfo) {
  (void)zone; (void)methods; (void)clientinfo;
  struct state *state = dbdata;
  if (strcmp(name, "@") == 0) {
    state->putrr(lookup, "SOA", 300, "ns.dlz.test. hostmaster.dlz.test. 1 3600 600 86400 300");
    state->putrr(lookup, "NS", 300, "ns.dlz.test.");
    return ISC_R_SUCCESS;
  }
  if (strcmp(name, "www") == 0) return state->putrr(lookup, "A", 300, mkjt_address());
  return ISC_R_NOTFOUND;
}
`;

describe.skipIf(!ok)('a DLZ driver named dlopens in its jail, with its own library', () => {
  const scratch = ok ? makeScratch('bind-dlz-') : '';
  const driver = join(scratch, 'dlz/dlz_mkjt.so');
  const library = join(scratch, 'dlz/lib/libmkjtaddr.so');
  let jail: BuiltJail;
  let port: number;
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    for (const dir of ['dlz/lib', 'src', 'etc', 'cache', 'run']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    writeFileSync(join(scratch, 'src/address.c'), ADDRESS_C);
    writeFileSync(join(scratch, 'src/driver.c'), DRIVER_C);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', library, join(scratch, 'src/address.c')]);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', driver, join(scratch, 'src/driver.c'), `-L${join(scratch, 'dlz/lib')}`, '-lmkjtaddr', '-Wl,-rpath,$ORIGIN/lib']);
    writeFileSync(join(scratch, 'etc/named.conf'), [
      'options {',
      scratchOptions(scratch, port),
      '};',
      'controls { };',
      `dlz "mkjt" { database "dlopen ${driver} dlz.test"; };`,
      '',
    ].join('\n'));
    jail = await buildBindJailFrom(scratch, join(scratch, 'etc/named.conf'), ['cache', 'run']);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('holds the driver and the library it needs, read-only, with the dlz statement as their reason', () => {
    const entry = (path: string) => jail.manifest.entries.find((e) => e.path === path);
    expect(entry(driver)).toMatchObject({ type: 'file', uid: 0, mode: '0555' });
    expect(entry(driver)?.reasons).toContainEqual(expect.objectContaining({ kind: 'config', what: 'dlz database: named loads the driver with dlopen' }));
    expect(entry(library)).toMatchObject({ type: 'file', uid: 0 });
    expect(entry(library)?.reasons).toContainEqual(expect.objectContaining({ kind: 'needed', soname: 'libmkjtaddr.so', by: driver }));
  });

  it('answers from the driver inside the jail', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.dlz.test', port, '192.0.2.77', running);
    expect(await dig('dlz.test', port, 'NS')).toBe('ns.dlz.test.');
  });
});
