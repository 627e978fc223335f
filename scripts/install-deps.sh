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
# (64- and 32-bit); qemu-user: the 32-bit loader answers under emulation where the kernel runs no
# 32-bit code; strace: run-time tracing (mkjail trace) and its checks; util-linux, coreutils:
# setpriv, unshare, chroot, script; buildah, mmdebstrap, ansible-core: the container and fleet examples
# are tested for real; libcap2-bin: getcap; systemd: systemd-analyze checks the generated units;
# systemd-container: systemd-nspawn boots a container whose systemd runs the generated unit; bc: the
# jail-size benchmark; nginx-light, unbound, openssh-server, openssh-client, busybox-static, rsyslog,
# curl, tmux: the other shipped recipes, each run for real in its jail; binutils: objcopy for ELF notes;
# iproute2: ip, which brings up loopback in a launcher's own network namespace; openssl: the recipe
# field runtime is tested by the openssl CLI reading OpenSSL's configuration and the CA bundle in a jail.
# dosfstools, fusefat: a FAT image (mkfs.vfat) mounted through FUSE, the output file system that keeps no
# owners or modes a build must refuse in one line (the kernel here may have no vfat module).
packages=(
  bind9 bind9-dnsutils pax-utils python3-pyelftools jailkit
  gcc libc6-dev gcc-multilib qemu-user binutils strace util-linux coreutils ca-certificates
  buildah mmdebstrap ansible-core libcap2-bin systemd systemd-container bc
  nginx-light unbound openssh-server openssh-client busybox-static rsyslog curl tmux iproute2 openssl
  dosfstools fusefat
)
# A package's maintainer script must not start its daemon (unbound or named on port 53, nginx on 80):
# the jailed services take those ports. policy-rc.d says no while apt-get runs, and is removed after.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y --no-install-recommends "${packages[@]}"
npm ci
