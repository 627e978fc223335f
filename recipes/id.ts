// A jail for coreutils' `id`: a small shell-less utility that reports who it runs as, read from the jail's
// own minimal etc/passwd. It runs as a user of its own, mkjail-id, which the build creates on the host when
// missing (createUser). Build: `sudo mkjail build recipes/id.ts --out /srv/jails/id`.
import { defineRecipe } from 'mkjail';

export default defineRecipe({
  name: 'id',
  binaries: ['/usr/bin/id'],
  user: 'mkjail-id',
  createUser: true,
  run: { argv: ['/usr/bin/id'] },
});
