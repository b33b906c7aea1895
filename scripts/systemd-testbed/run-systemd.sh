#!/usr/bin/env bash
# run-systemd.sh DOCKER_SOCK IMAGE_TAG NAME [extra docker run args...]
# Run IMAGE_TAG with real systemd as PID 1 (flags per DESIGN.md), wait until
# `systemctl is-system-running` says running or degraded, print the
# container id. Remove it afterwards with: docker -H unix://SOCK rm -f ID
# Extra args go before the image name (e.g. -v HOST:/usr/local/bin/x:ro).
# Env: SYSTEMD_BOOT_WAIT_SECS (default 60).
#      SYSTEMD_CGROUP=unified: systemd runs on a cgroup v2 hierarchy of its
#      own even where the host mounts cgroup v1 (hybrid). The container gets a
#      private cgroup namespace (rooted at the cgroup v2 directory runc made
#      for it, /docker/ID), and before systemd starts, its /sys/fs/cgroup is
#      replaced by a cgroup2 mount of that namespace. Needs a host whose
#      cgroup v2 hierarchy runc uses: /sys/fs/cgroup (unified) or
#      /sys/fs/cgroup/unified (hybrid). runc removes the container's cgroups,
#      the ones systemd made inside included, when the container is removed.
set -euo pipefail

die() { echo "run-systemd: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 DOCKER_SOCK IMAGE_TAG NAME [docker run args...]"
SOCK=${1#unix://}; TAG=$2; NAME=$3; shift 3
D=(docker -H "unix://$SOCK")
WAIT_SECS=${SYSTEMD_BOOT_WAIT_SECS:-60}

START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }

# Never pull: the image must have been built/imported locally (no registry access).
"${D[@]}" image inspect "$TAG" >/dev/null 2>&1 \
  || die "image $TAG not in this daemon; build it with build-image.sh first"

case "${SYSTEMD_CGROUP:-host}" in
  host)
    # The host's cgroup mounts as they are (here cgroup v1 with a v2 hierarchy at
    # /sys/fs/cgroup/unified: systemd runs in hybrid mode, in the host's cgroup namespace).
    CGROUP_ARGS=(-v /sys/fs/cgroup:/sys/fs/cgroup:rw)
    INIT=(/lib/systemd/systemd) ;;
  unified)
    [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] \
      || [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] \
      || die "SYSTEMD_CGROUP=unified needs cgroup v2 at /sys/fs/cgroup or /sys/fs/cgroup/unified"
    CGROUP_ARGS=(--cgroupns private)
    INIT=(/bin/sh -c 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec /lib/systemd/systemd') ;;
  *) die "SYSTEMD_CGROUP must be host or unified" ;;
esac

ID=$("${D[@]}" run -d --pull never --name "$NAME" --hostname "$NAME" \
  --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --tmpfs /run --tmpfs /run/lock \
  "${CGROUP_ARGS[@]}" \
  --network none \
  -e container=docker \
  --stop-signal SIGRTMIN+3 \
  "$@" \
  "$TAG" "${INIT[@]}") || die "docker run failed"

state=""
for _ in $(seq 1 $((WAIT_SECS * 5))); do
  running=$("${D[@]}" inspect -f '{{.State.Running}}' "$ID" 2>/dev/null || echo false)
  if [ "$running" != true ]; then
    "${D[@]}" logs --tail 40 "$ID" >&2 2>&1 || true
    die "container $ID exited during boot (left in place for inspection; remove with docker rm -f $ID)"
  fi
  state=$("${D[@]}" exec "$ID" systemctl is-system-running 2>/dev/null || true)
  case "$state" in
    running|degraded) break ;;
  esac
  sleep 0.2
done
case "$state" in
  running|degraded) ;;
  *) "${D[@]}" logs --tail 40 "$ID" >&2 2>&1 || true
     die "systemd in $ID not up after ${WAIT_SECS}s (state: '${state}'; container left; docker rm -f $ID)" ;;
esac
if [ "$state" = degraded ]; then
  echo "run-systemd: system is degraded; failed units:" >&2
  "${D[@]}" exec "$ID" systemctl --failed --no-legend --plain >&2 || true
fi
echo "run-systemd: $NAME is $state after $(elapsed) s" >&2
echo "$ID"
