#!/usr/bin/env bash
# Installs what building and testing supervise needs on Debian 12, then resolves Swift packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Swift ships in /opt/swift on these machines.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null 2>&1 || { echo "setup: no Swift toolchain found (expected swift on PATH or in /opt/swift)" >&2; exit 1; }

# Debian packages: C libraries the package links, and tools the tests use (curl, setpriv).
# systemd: systemd-analyze for the unit tests (installing the package in a container is harmless: it
# does not become PID 1). docker.io, docker-compose, busybox-static and debootstrap: the Docker and
# real-systemd tests run a private dockerd, Compose projects and imported images
# (scripts/systemd-testbed). make: `make install-files` is tested. iproute2: `ip` brings up loopback
# in the network namespaces the probe tests make.
packages=(libcurl4-openssl-dev libsystemd-dev pkg-config curl util-linux procps iproute2 systemd docker.io docker-compose
          busybox-static debootstrap make)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift package resolve >/dev/null
