#!/usr/bin/env bash
# stop-dockerd.sh DIR
# Stop the private Docker daemon started by start-dockerd.sh DIR, by the PID
# in DIR/dockerd.pid (SIGTERM, wait up to 20 s, then SIGKILL), then unmount
# anything left mounted under DIR/exec and DIR/data.
# Containers are not removed here: remove the ones you created with
# `docker rm -f ID` before calling this.
set -uo pipefail

die() { echo "stop-dockerd: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 DIR"
DIR=$(cd "$1" 2>/dev/null && pwd) || die "no such dir: $1"
PIDFILE="$DIR/dockerd.pid"
WAIT_SECS=${DOCKERD_STOP_SECS:-20}

if [ -f "$PIDFILE" ]; then
  PID=$(cat "$PIDFILE")
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    # Make sure the PID really is a dockerd (pidfile could be stale and reused).
    if [ "$(cat /proc/"$PID"/comm 2>/dev/null)" = dockerd ]; then
      kill -TERM "$PID"
      for _ in $(seq 1 $((WAIT_SECS * 5))); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.2
      done
      if kill -0 "$PID" 2>/dev/null; then
        echo "stop-dockerd: pid $PID still alive after ${WAIT_SECS}s; SIGKILL" >&2
        kill -KILL "$PID" 2>/dev/null || true
        sleep 0.5
      fi
      echo "stop-dockerd: stopped dockerd pid $PID" >&2
    else
      echo "stop-dockerd: pid $PID is not dockerd ($(cat /proc/"$PID"/comm 2>/dev/null)); not killing" >&2
    fi
  else
    echo "stop-dockerd: dockerd not running (stale pidfile)" >&2
  fi
  rm -f "$PIDFILE"
else
  echo "stop-dockerd: no pidfile at $PIDFILE" >&2
fi

# Unmount leftovers (deepest first) under our exec root and data root only.
for root in "$DIR/exec" "$DIR/data"; do
  [ -d "$root" ] || continue
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo \
    | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null \
          || echo "stop-dockerd: could not unmount $m" >&2
      done
done
rm -f "$DIR/docker.sock"
exit 0
