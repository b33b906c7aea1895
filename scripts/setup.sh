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
# in the network namespaces the probe tests make. nginx, postgresql-15 (+ postgresql-client-15), redis-server and
# redis-tools: the real-daemon tests (Tests/IntegrationTests/RealDaemons) run the platform's own daemons as units,
# each on a private loopback port with a private data directory; they never use the packages' system services.
# libhiredis-dev: Redis's C client, which SuperviseQueues links to read the length of the queues (Redis lists) in
# `queues:`, and agent-sim links to take calls from one (`--queue`); the queue tests run their own redis-server. Its
# runtime, libhiredis0.14, comes with it: the Docker tests' containers see it through their read-only /usr bind mount.
# binutils: nm, with which CurlShimTests checks that the supervise binary defines no curl_* symbol of its own, and strip
# for `make deb`. dpkg-dev and lintian: `make deb` (dpkg-deb, dpkg-shlibdeps for the Depends) checks the package with
# lintian; the package tests (DebianPackageTests) also make the image's local apt repository with dpkg-scanpackages.
# python3 and python3-venv: the virtual environment of the Kubernetes validators (below).
packages=(libcurl4-openssl-dev libsystemd-dev libhiredis-dev pkg-config curl util-linux procps iproute2 systemd docker.io docker-compose
          busybox-static debootstrap make nginx postgresql-15 postgresql-client-15 redis-server redis-tools binutils dpkg-dev lintian
          python3 python3-venv)
# prometheus: its promtool checks and unit-tests the alert rules (alerts/, `promtool check rules`, `promtool test
# rules`) and lints exposition text (`promtool check metrics`); the prometheus binary itself is the real scraper of
# the metrics tests (Tests/IntegrationTests/TestPrometheus.swift), started on a free loopback port with a temporary
# config and data directory, never the package's service on :9090. Installed without its Recommends: those are
# prometheus-node-exporter (a service on :9100) and its collectors (smartmontools, openipmi, nvme-cli), none needed.
bare_packages=(prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
missing_bare=()
for p in "${bare_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_bare+=("$p")
done
if [ $(( ${#missing[@]} + ${#missing_bare[@]} )) -gt 0 ]; then
  echo "setup: installing ${missing[*]} ${missing_bare[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # The packages' own services (nginx on :80, PostgreSQL's cluster "main" on :5432, redis on :6379, prometheus on
  # :9090) are not wanted: a policy-rc.d that answers 101 keeps invoke-rc.d and deb-systemd-invoke from starting
  # them during the install (unless the machine already has a policy of its own, which is left as it is).
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# supervise scripts/setup.sh: no service starts during its package install\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=1
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ ${#missing_bare[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_bare[@]}" >/dev/null
  fi
  if [ -n "$made_policy" ]; then $SUDO rm -f "$policy"; trap - EXIT; fi
fi

# kubernetes-validate (PyPI): the export tests (Tests/SuperviseExportTests) check `supervise export kubernetes`'s
# manifests with it, offline, against the Kubernetes schemas it bundles; jsonschema and PyYAML, which it depends on,
# check the KEDA ScaledObject against KEDA's schema (Tests/SuperviseExportTests/Resources). Pinned, in a virtual
# environment of the checkout's own (.build-tools/python, git-ignored) made with Debian's python3: Debian's own pip
# refuses to install into the system (PEP 668), and nothing else of the machine is touched. Installed again only when
# the pins change.
validators="kubernetes-validate==1.34.1 jsonschema==4.26.0 PyYAML==6.0.2"
venv=.build-tools/python
if [ "$(cat "$venv/pins" 2>/dev/null)" != "$validators" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "setup: installing $validators in $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  # shellcheck disable=SC2086 # the pins are words
  "$venv/bin/pip" install --quiet --disable-pip-version-check $validators
  echo "$validators" >"$venv/pins"
fi

swift package resolve >/dev/null
# The benchmarks' own package (Benchmarks/Package.swift: the root package by path, swift-argument-parser).
swift package resolve --package-path Benchmarks >/dev/null
