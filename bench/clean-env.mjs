// The environment every benchmarked command runs with: a fresh Debian shell's, not the caller's. A
// variable such as NODE_EXTRA_CA_CERTS (set on some build machines) makes each Node process read and
// parse a CA bundle at start, ~30-50 ms that mkjail never uses and jailkit never pays.
export const CLEAN_ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
