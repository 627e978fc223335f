#!/usr/bin/env bash
# Installs everything mkjail's tests and examples need on Debian 12, then the npm dependencies.
# Run as root from the repository root: `scripts/install-deps.sh`.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it calls apt-get)" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bind9 + bind9-dnsutils: the jailed service and dig; pax-utils + python3-pyelftools: lddtree for
# benchmarks; jailkit: the incumbent we compare and audit; gcc, libc6-dev, gcc-multilib: test fixtures
# (64- and 32-bit); strace: run-time tracing checks; util-linux, coreutils: setpriv, unshare, chroot;
# buildah, ansible-core: the container and fleet examples are tested for real; libcap2-bin: getcap;
# systemd: systemd-analyze checks the generated units; bc: the jail-size benchmark.
apt-get install -y --no-install-recommends \
  bind9 bind9-dnsutils pax-utils python3-pyelftools jailkit \
  gcc libc6-dev gcc-multilib strace util-linux coreutils ca-certificates \
  buildah ansible-core libcap2-bin systemd bc
npm ci
