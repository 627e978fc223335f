// The trace tests' service (fixtures/trace/service.c), compiled into a root-owned scratch tree: bin/service
// with RUNPATH lib/, its plugin lib/libplugin.so (dlopen()ed by name), etc/service.conf, and state/ (which
// the service creates). Needs gcc; root for the root-owned tree.
import { copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';
import { makeScratch, removeScratch } from './scratch.js';

export interface TraceService {
  dir: string;
  program: string;
  plugin: string;
  config: string;
  state: string;
  cleanup(): void;
}

export function buildTraceService(): TraceService {
  const dir = makeScratch('trace-service-');
  const fixtures = join(REPO_ROOT, 'fixtures', 'trace');
  for (const sub of ['bin', 'lib', 'etc']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const service = { dir, program: join(dir, 'bin', 'service'), plugin: join(dir, 'lib', 'libplugin.so'), config: join(dir, 'etc', 'service.conf'), state: join(dir, 'state') };
  copyFileSync(join(fixtures, 'service.conf'), service.config);
  execFileSync('gcc', ['-shared', '-fPIC', '-o', service.plugin, join(fixtures, 'plugin.c')]);
  execFileSync('gcc', ['-o', service.program, join(fixtures, 'service.c'), `-DCONFIG_PATH="${service.config}"`, `-DSTATE_DIR="${service.state}"`, `-Wl,-rpath,${join(dir, 'lib')}`, '-Wl,--enable-new-dtags', '-ldl']);
  return { ...service, cleanup: () => removeScratch(dir) };
}
