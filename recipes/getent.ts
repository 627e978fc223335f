// A jail for glibc's `getent`: a shell-less utility that answers name lookups from the jail's own files
// (etc/passwd, etc/group, etc/hosts), through the NSS base it includes. It runs as a user of its own,
// mkjail-getent, which the build creates on the host when missing (createUser).
// Build: `sudo mkjail build recipes/getent.ts --out /srv/jails/getent`.
import { defineRecipe } from 'mkjail';

export default defineRecipe({
  name: 'getent',
  include: ['./glibc-nss-base.ts'],
  binaries: ['/usr/bin/getent'],
  user: 'mkjail-getent',
  createUser: true,
  run: { argv: ['/usr/bin/getent', 'passwd'] },
});
