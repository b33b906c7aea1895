#!/usr/bin/env bash
# Installs what building and testing supervise needs on Debian 12, then resolves Swift packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Swift ships in /opt/swift on these machines.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null 2>&1 || { echo "setup: no Swift toolchain found (expected swift on PATH or in /opt/swift)" >&2; exit 1; }

# Debian packages: C libraries the package links, and tools the tests use (curl, setpriv; a private
# Docker engine and a busybox rootfs for the Docker client's tests).
packages=(libcurl4-openssl-dev libsystemd-dev pkg-config curl util-linux procps docker.io docker-compose busybox-static)
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
