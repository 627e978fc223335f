// Every test file gets a list of built jails of its own (MKJAIL_STATE_DIR, inherited by the mkjail
// processes it starts): the audit's shared-service-user rule reads that list, and jails other test
// files build at the same time, or the host's own jails, must not show up in a test's audit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const stateDir = mkdtempSync(join(tmpdir(), 'mkjail-state-'));
process.env.MKJAIL_STATE_DIR = stateDir;
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
