#!/usr/bin/env bash
# build-image.sh DOCKER_SOCK IMAGE_TAG
# Build (or reuse) a Debian bookworm image with systemd as PID 1:
#   debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,libhiredis0.14 \
#     bookworm ROOTFS MIRROR
#   tar -C ROOTFS -c . | docker import - IMAGE_TAG
# MIRROR is taken from this machine's apt configuration (the URI serving
# the "bookworm" suite in /etc/apt/sources.list{,.d/*}); override with
# SUPERVISE_DEBIAN_MIRROR only if you must.
# Caching:
#   - if IMAGE_TAG already exists in that daemon, nothing is done;
#   - the rootfs tarball is kept in $SUPERVISE_CACHE (default
#     /var/cache/supervise-testbed) as bookworm-systemd[-HASH].tar, so a
#     fresh daemon imports it without re-running debootstrap.
# Env: SUPERVISE_TESTBED_EXTRA_PACKAGES="pkg1,pkg2" adds packages to
#      --include (changes the cache file name).
#      SUPERVISE_TESTBED_MASK_UNITS="a.service,b.service" masks units in the
#      image (and drops their *.wants links), e.g. the services the extra
#      packages' postinst scripts enabled, so they do not start at boot; a
#      test starts what it needs itself (changes the cache file name too).
#      SUPERVISE_TESTBED_PLAIN=1: the base is systemd, systemd-sysv and dbus
#      only (no procps, no libhiredis0.14): a host as a package finds it,
#      where the package's Depends must bring the rest (changes the cache
#      file name).
#      SUPERVISE_TESTBED_LOCAL_DEBS="pkg1,pkg2": the .debs of these packages
#      and of every dependency the rootfs lacks are downloaded (by the host's
#      apt, against the rootfs's dpkg status) into /var/local/debs with a
#      Packages index, and that directory is the image's only apt source
#      (`deb [trusted=yes] file:/var/local/debs ./`): in a container with no
#      network, `apt-get update && apt-get install ./x.deb` resolves x's
#      dependencies from there (changes the cache file name).
set -euo pipefail

die() { echo "build-image: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 DOCKER_SOCK IMAGE_TAG"
[ "$(id -u)" -eq 0 ] || die "must run as root"
SOCK=${1#unix://}
TAG=$2
D=(docker -H "unix://$SOCK")
"${D[@]}" info >/dev/null 2>&1 || die "no docker daemon answering on $SOCK"

START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }

if "${D[@]}" image inspect "$TAG" >/dev/null 2>&1; then
  echo "build-image: $TAG already present; skipped (0 s)" >&2
  echo "$TAG"
  exit 0
fi

# procps: /bin/kill (ExecReload=/bin/kill -HUP $MAINPID) and ps; not in minbase.
# libhiredis0.14: supervise links hiredis (queue depth), as the Debian package will declare.
INCLUDE="systemd,systemd-sysv,dbus,procps,libhiredis0.14"
PLAIN=${SUPERVISE_TESTBED_PLAIN:-}
[ "$PLAIN" = 1 ] && INCLUDE="systemd,systemd-sysv,dbus"
EXTRA=${SUPERVISE_TESTBED_EXTRA_PACKAGES:-}
MASK=${SUPERVISE_TESTBED_MASK_UNITS:-}
LOCAL_DEBS=${SUPERVISE_TESTBED_LOCAL_DEBS:-}
NAME=bookworm-systemd
# What the cached tarball was built from: the --include list, the masked units and the local debs if any.
RECIPE="$INCLUDE"
if [ -n "$EXTRA" ]; then INCLUDE="$INCLUDE,$EXTRA"; RECIPE="$INCLUDE"; fi
if [ -n "$MASK" ]; then RECIPE="$RECIPE mask=$MASK"; fi
if [ -n "$LOCAL_DEBS" ]; then RECIPE="$RECIPE local=$LOCAL_DEBS"; fi
if [ -n "$EXTRA$MASK" ]; then
  NAME="$NAME-$(printf '%s' "$EXTRA${MASK:+ mask=$MASK}" | sha256sum | cut -c1-12)"
fi
# (Kept apart so that the names of the existing caches above do not change.)
if [ "$PLAIN" = 1 ] || [ -n "$LOCAL_DEBS" ]; then
  NAME="$NAME-$(printf '%s' "plain=$PLAIN local=$LOCAL_DEBS" | sha256sum | cut -c1-12)"
fi
CACHE=${SUPERVISE_CACHE:-/var/cache/supervise-testbed}
TARBALL="$CACHE/$NAME.tar"
mkdir -p "$CACHE"

find_mirror() {
  # One-line format: deb [opts] URI SUITE COMPONENTS...
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while (i<=NF && $i !~ /\]$/) i++; i++ }
                     if ($(i+1)=="bookworm") { print $i; exit } }' "$f"
  done
  # deb822 format (*.sources): a stanza with Suites containing bookworm.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""; FS="\n"}
         { uri=""; ok=0; deb=0
           for (j=1;j<=NF;j++) {
             if ($j ~ /^Types:/ && $j ~ /[[:space:]]deb([[:space:]]|$)/) deb=1
             if ($j ~ /^URIs:/) { split($j, a, /[[:space:]]+/); uri=a[2] }
             if ($j ~ /^Suites:/ && $j ~ /[[:space:]]bookworm([[:space:]]|$)/) ok=1
             if ($j ~ /^Enabled:[[:space:]]*no/) { ok=0 }
           }
           if (deb && ok && uri!="") { print uri; exit } }' "$f"
  done
}

# The tarball is reused only if it was built with the same --include list (and masks).
if [ -s "$TARBALL" ] && [ "$(cat "$TARBALL.include" 2>/dev/null)" != "$RECIPE" ]; then
  echo "build-image: cached $TARBALL was built with a different --include or mask list; rebuilding" >&2
  rm -f "$TARBALL" "$TARBALL.include"
fi

if [ ! -s "$TARBALL" ]; then
  MIRROR=${SUPERVISE_DEBIAN_MIRROR:-$(find_mirror | head -n1)}
  [ -n "$MIRROR" ] || die "could not find a bookworm mirror in /etc/apt/sources.list{,.d}"
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "build-image: installing debootstrap via apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends debootstrap >&2 \
      || die "apt-get install debootstrap failed"
  fi
  WORK=$(mktemp -d /tmp/sv-rootfs-XXXXXX)
  trap 'rm -rf --one-file-system "$WORK"' EXIT
  echo "build-image: debootstrap --variant=minbase --include=$INCLUDE bookworm $WORK/rootfs $MIRROR" >&2
  if ! debootstrap --variant=minbase --include="$INCLUDE" bookworm "$WORK/rootfs" "$MIRROR" \
       >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    [ -f "$WORK/rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$WORK/rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  echo "build-image: debootstrap done after $(elapsed) s" >&2
  R="$WORK/rootfs"
  # Trim and adapt the rootfs for running in a container.
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/debootstrap
  : >"$R/etc/machine-id"            # systemd generates one at boot
  echo supervise-testbed >"$R/etc/hostname"
  # Units that cannot work (or only make noise) inside a container.
  for u in systemd-remount-fs.service getty.target console-getty.service \
           systemd-firstboot.service systemd-udevd.service \
           systemd-udev-trigger.service systemd-hwdb-update.service \
           sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
           dev-hugepages.mount systemd-modules-load.service ; do
    ln -sf /dev/null "$R/etc/systemd/system/$u"
  done
  # Units asked to be masked (SUPERVISE_TESTBED_MASK_UNITS): not started at boot, nor by hand.
  for u in ${MASK//,/ }; do
    rm -f "$R"/etc/systemd/system/*.wants/"$u"
    ln -sf /dev/null "$R/etc/systemd/system/$u"
  done
  # Local apt repository (SUPERVISE_TESTBED_LOCAL_DEBS): the host's apt lists, the rootfs's dpkg status.
  if [ -n "$LOCAL_DEBS" ]; then
    command -v dpkg-scanpackages >/dev/null 2>&1 || die "dpkg-scanpackages missing (dpkg-dev)"
    DEBS="$R/var/local/debs"
    mkdir -p "$DEBS/partial"
    fetch() {
      apt-get -qq -o Debug::NoLocking=1 -o Dir::State::status="$R/var/lib/dpkg/status" \
        -o Dir::Cache::archives="$DEBS" -o APT::Install-Recommends=false \
        --download-only -y install ${LOCAL_DEBS//,/ } >"$WORK/local-debs.log" 2>&1
    }
    if ! fetch; then
      echo "build-image: downloading the local debs failed; apt-get update and once more" >&2
      apt-get update -qq >&2 || true
      fetch || { tail -n 20 "$WORK/local-debs.log" >&2; die "could not download ${LOCAL_DEBS}"; }
    fi
    rm -rf "$DEBS/partial" "$DEBS/lock"
    (cd "$DEBS" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages)
    echo "build-image: local apt repository: $(ls "$DEBS"/*.deb | wc -l) debs for ${LOCAL_DEBS}" >&2
    : >"$R/etc/apt/sources.list"
    rm -f "$R"/etc/apt/sources.list.d/*
    echo 'deb [trusted=yes] file:/var/local/debs ./' >"$R/etc/apt/sources.list.d/local.list"
  fi
  # Persistent journal is not needed; keep it in /run.
  mkdir -p "$R/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\n' >"$R/etc/systemd/journald.conf.d/testbed.conf"
  tar -C "$R" --numeric-owner -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  echo "$RECIPE" >"$TARBALL.include"
  echo "build-image: cached rootfs tarball $TARBALL ($(du -h "$TARBALL" | cut -f1)) after $(elapsed) s" >&2
else
  echo "build-image: using cached rootfs tarball $TARBALL" >&2
fi

"${D[@]}" import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$TAG" <"$TARBALL" >/dev/null || die "docker import failed"
echo "build-image: imported $TAG; total $(elapsed) s" >&2
echo "$TAG"
