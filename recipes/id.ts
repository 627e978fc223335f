// A jail for coreutils' `id`: a small shell-less utility that reports who it runs as, read from the jail's
// own minimal etc/passwd. Build: `sudo mkjail build recipes/id.ts --out /srv/jails/id`.
import { defineRecipe } from 'mkjail';

export default defineRecipe({
  name: 'id',
  binaries: ['/usr/bin/id'],
  user: 'nobody',
  group: 'nogroup',
  run: { argv: ['/usr/bin/id'] },
});
