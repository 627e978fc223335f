// run.env names refused because a program started as root on the host would act on them.
import { describe, expect, it } from 'vitest';
import { runEnvironment } from '../../src/recipe/run-shapes.js';

function issues(env: Record<string, string>): Array<{ path: PropertyKey[]; message: string }> {
  const result = runEnvironment.safeParse(env);
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }));
}

const OPENSSL_REFUSAL =
  "not allowed: a self-chrooting daemon loads OpenSSL's configuration, engines and providers as root on the host before its chroot (refused: OPENSSL_CONF, OPENSSL_ENGINES, OPENSSL_MODULES)";

describe('runEnvironment', () => {
  it("refuses OpenSSL's configuration, engine and provider paths, which a daemon reads as root before its chroot", () => {
    expect(issues({ OPENSSL_CONF: '/tmp/evil.cnf', OPENSSL_ENGINES: '/tmp', OPENSSL_MODULES: '/tmp', TZ: 'UTC' })).toEqual([
      { path: ['OPENSSL_CONF'], message: OPENSSL_REFUSAL },
      { path: ['OPENSSL_ENGINES'], message: OPENSSL_REFUSAL },
      { path: ['OPENSSL_MODULES'], message: OPENSSL_REFUSAL },
    ]);
  });

  it('accepts an ordinary name with a dollar in its value', () => {
    expect(issues({ PRICE: 'a$b' })).toEqual([]);
  });
});
