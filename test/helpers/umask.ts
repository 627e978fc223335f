// Every test file starts under umask 022, whatever the caller's (a hardened root often has 027 or 077):
// tests write fixtures (configs, zones, recipes) with Node's default modes and expect the service user
// to read them on the host, as it reads Debian's own files. mkjail's own behaviour under a hardened
// umask is tested explicitly (test/build/output-dir.test.ts runs builds under umask 077).
process.umask(0o022);
