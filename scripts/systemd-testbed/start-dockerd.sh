#!/usr/bin/env bash
# start-dockerd.sh DIR
# Start a private Docker daemon whose state lives entirely under DIR:
#   DIR/data  (data root)   DIR/exec (exec root)   DIR/docker.sock
#   DIR/dockerd.pid         DIR/dockerd.log
# DOCKERD_EXTRA_ARGS (optional, split on whitespace) adds flags, e.g. "--live-restore".
# Installs docker.io with apt-get only if `dockerd` is missing.
# Never touches a system-wide daemon. Prints the socket path on success.
# Stop it with stop-dockerd.sh DIR.
set -euo pipefail

die() { echo "start-dockerd: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
[ "$(id -u)" -eq 0 ] || die "must run as root"
DIR=$1
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
WAIT_SECS=${DOCKERD_WAIT_SECS:-30}
read -r -a EXTRA_ARGS <<<"${DOCKERD_EXTRA_ARGS:-}"

# The unix socket path must fit in sun_path (108 bytes).
[ ${#SOCK} -lt 100 ] || die "socket path too long (${#SOCK} chars): $SOCK"

if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd missing; installing docker.io via apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends docker.io >&2 \
    || die "apt-get install docker.io failed"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after install"
fi
command -v docker >/dev/null 2>&1 || die "docker client missing"

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  if docker -H "unix://$SOCK" info >/dev/null 2>&1; then
    echo "start-dockerd: already running (pid $(cat "$PIDFILE"))" >&2
    echo "$SOCK"
    exit 0
  fi
  die "pidfile $PIDFILE names a live process $(cat "$PIDFILE") but $SOCK does not answer"
fi
rm -f "$PIDFILE" "$SOCK"

mkdir -p "$DIR/data" "$DIR/exec"
# setsid: own session, so the daemon is not killed with the caller's
# process group and can only be stopped by its PID.
setsid dockerd \
  --iptables=false --ip6tables=false --bridge=none \
  --data-root "$DIR/data" --exec-root "$DIR/exec" \
  -H "unix://$SOCK" --pidfile "$PIDFILE" ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"} \
  </dev/null >>"$LOG" 2>&1 &
LAUNCH_PID=$!

for _ in $(seq 1 $((WAIT_SECS * 5))); do
  if docker -H "unix://$SOCK" info >/dev/null 2>&1; then
    echo "start-dockerd: ready (pid $(cat "$PIDFILE" 2>/dev/null || echo "$LAUNCH_PID"), log $LOG)" >&2
    echo "$SOCK"
    exit 0
  fi
  if ! kill -0 "$LAUNCH_PID" 2>/dev/null; then
    echo "start-dockerd: dockerd exited early; last log lines:" >&2
    tail -n 20 "$LOG" >&2 || true
    die "dockerd failed to start"
  fi
  sleep 0.2
done

echo "start-dockerd: last log lines:" >&2
tail -n 20 "$LOG" >&2 || true
kill -TERM "$LAUNCH_PID" 2>/dev/null || true
die "dockerd did not answer on $SOCK within ${WAIT_SECS}s (sent SIGTERM to $LAUNCH_PID)"
