// A shared piece to include: what glibc's name lookups (getpwnam, getaddrinfo) read inside a jail, with
// only the NSS modules built into glibc 2.34+ (files, dns), so no libnss_*.so is needed or dlopened.
// Include it: `include: ['./glibc-nss-base.ts']` (relative to the including recipe).
import { defineRecipe } from 'mkjail';

export default defineRecipe({
  name: 'glibc-nss-base',
  files: [
    { from: './glibc-nss-base/nsswitch.conf', to: '/etc/nsswitch.conf' },
    // Host and resolver configuration, as the host has them (a symlink is kept, its target brought in).
    '/etc/hosts',
    '/etc/resolv.conf',
  ],
});
