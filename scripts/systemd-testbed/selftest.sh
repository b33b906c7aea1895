#!/usr/bin/env bash
# selftest.sh [DIR]
# End-to-end check of the testbed: private dockerd -> systemd image ->
# systemd container, then inside it (docker exec):
#   a) Type=notify + WatchdogSec=2s service: start returns after READY, active
#   b) a service that stops pinging is killed ("Watchdog timeout") and
#      restarted by Restart=on-failure
#   c) journalctl -o json -u UNIT
#   d) host Swift binary (bind-mounted ro, with the host Swift runtime dir
#      bind-mounted ro at the same path) runs: `supervise version`, and
#      units/supervise.service starts, stays up past WatchdogSec and reloads.
# Everything started is stopped on exit (container by id, dockerd by PID);
# DIR is deleted afterwards only if selftest created it (no DIR argument).
# Env: IMAGE_TAG (default supervise-testbed:bookworm),
#      SUPERVISE_BIN (default <repo>/.build/debug/supervise; skipped if absent)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OWN_DIR=0
if [ $# -ge 1 ]; then DIR=$1; else DIR=$(mktemp -d /tmp/sv-docker-XXXX); OWN_DIR=1; fi
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
TAG=${IMAGE_TAG:-supervise-testbed:bookworm}
BIN=${SUPERVISE_BIN:-$REPO/.build/debug/supervise}
SWIFT_LIB=/opt/swift/usr/lib/swift/linux
CID=""
FAIL=0

now() { date +%s.%N; }
secs() { awk -v s="$1" -v e="$(now)" 'BEGIN{printf "%.1f", e-s}'; }
ok()  { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; FAIL=1; }

cleanup() {
  set +e
  if [ -n "$CID" ]; then docker -H "unix://$DIR/docker.sock" rm -f "$CID" >/dev/null; fi
  "$HERE/stop-dockerd.sh" "$DIR"
  # A directory we made ourselves is removed (after dockerd and its mounts are gone).
  if [ "$OWN_DIR" -eq 1 ] && ! grep -q " $DIR/" /proc/self/mountinfo; then
    rm -rf --one-file-system "$DIR"
  fi
}
trap cleanup EXIT

t=$(now); SOCK=$("$HERE/start-dockerd.sh" "$DIR"); echo "TIME start-dockerd: $(secs "$t") s"
D=(docker -H "unix://$SOCK")
t=$(now); "$HERE/build-image.sh" "$SOCK" "$TAG" >/dev/null; echo "TIME build-image: $(secs "$t") s"

MOUNTS=()
if [ -x "$BIN" ]; then
  # Snapshot so a concurrent rebuild cannot change the binary under the test.
  cp "$BIN" "$DIR/supervise"
  MOUNTS=(-v "$DIR/supervise:/usr/local/bin/supervise:ro" -v "$SWIFT_LIB:$SWIFT_LIB:ro")
fi
t=$(now)
CID=$("$HERE/run-systemd.sh" "$SOCK" "$TAG" "sv-selftest-$$" "${MOUNTS[@]}")
echo "TIME run-systemd (boot to running): $(secs "$t") s"
X() { "${D[@]}" exec -i "$CID" "$@"; }
# props UNIT P1 P2...: values in the order asked (systemctl show reorders).
props() { local u=$1 p out=""; shift
  for p in "$@"; do out+="$(X systemctl show -p "$p" --value "$u") "; done; echo "$out"; }

# --- a) Type=notify with watchdog pings ---------------------------------
X sh -c 'cat >/usr/local/bin/wd-good.sh && chmod +x /usr/local/bin/wd-good.sh' <<'S'
#!/bin/sh
sleep 1
systemd-notify --pid=$$ --ready --status=serving
while :; do systemd-notify --pid=$$ WATCHDOG=1; sleep 0.5; done
S
X sh -c 'cat >/etc/systemd/system/wd-good.service' <<'U'
[Service]
Type=notify
WatchdogSec=2s
ExecStart=/usr/local/bin/wd-good.sh
U
X systemctl daemon-reload
t=$(now); X systemctl start wd-good.service; st=$(secs "$t")
sleep 4.5
state=$(props wd-good.service ActiveState SubState NRestarts)
if [ "$state" = "active running 0 " ]; then
  ok "a) notify: systemctl start returned after READY in ${st}s; after 4.5s: $state"
else bad "a) notify: state '$state'"; fi

# --- b) watchdog enforcement + Restart=on-failure -------------------------
X sh -c 'cat >/usr/local/bin/wd-hang.sh && chmod +x /usr/local/bin/wd-hang.sh' <<'S'
#!/bin/sh
systemd-notify --pid=$$ --ready
for i in 1 2 3; do systemd-notify --pid=$$ WATCHDOG=1; sleep 0.5; done
exec sleep infinity
S
X sh -c 'cat >/etc/systemd/system/wd-hang.service' <<'U'
[Unit]
StartLimitIntervalSec=0
[Service]
Type=notify
WatchdogSec=2s
Restart=on-failure
RestartSec=1s
ExecStart=/usr/local/bin/wd-hang.sh
U
X systemctl daemon-reload
X systemctl start wd-hang.service
sleep 6
X systemctl stop wd-hang.service
n_to=$(X journalctl --no-pager -u wd-hang.service | grep -c 'Watchdog timeout' || true)
n_rs=$(X journalctl --no-pager -u wd-hang.service | grep -c 'Scheduled restart job' || true)
if [ "$n_to" -ge 1 ] && [ "$n_rs" -ge 1 ]; then
  ok "b) watchdog: $n_to 'Watchdog timeout' and $n_rs restarts in 6 s"
else bad "b) watchdog: timeouts=$n_to restarts=$n_rs"; fi

# --- c) journalctl -o json --------------------------------------------------
n_json=$(X journalctl -o json --no-pager -u wd-hang.service | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
print(sum("Watchdog timeout" in str(r.get("MESSAGE", "")) for r in recs))' || echo 0)
if [ "$n_json" -ge 1 ]; then
  ok "c) journalctl -o json -u wd-hang.service parses; $n_json watchdog records"
else bad "c) journalctl -o json"; fi

# --- d) host Swift binary ------------------------------------------------------
if [ -x "$BIN" ]; then
  missing=$(X ldd /usr/local/bin/supervise | grep -c 'not found' || true)
  v=$(X /usr/local/bin/supervise version 2>&1) && ok "d) supervise version -> '$v' (missing libs: $missing)" \
    || bad "d) supervise version: $v"
  X mkdir -p /etc/supervise
  "${D[@]}" cp "$REPO/units/supervise.service" "$CID:/etc/systemd/system/supervise.service"
  "${D[@]}" cp "$REPO/units/supervise.yaml" "$CID:/etc/supervise/supervise.yaml"
  X systemctl daemon-reload
  if X systemctl start supervise.service; then
    wd=$(X systemctl show -p WatchdogUSec --value supervise.service)
    sleep 12
    state=$(props supervise.service ActiveState NRestarts)
    [ "$state" = "active 0 " ] && ok "d) supervise.service active, 0 restarts after 12 s (WatchdogSec=$wd)" \
      || bad "d) supervise.service state '$state'"
    X systemctl reload supervise.service && ok "d) systemctl reload supervise.service" \
      || bad "d) reload failed"
  else
    bad "d) systemctl start supervise.service"
    X journalctl --no-pager -u supervise.service | tail -20
  fi
else
  echo "SKIP: d) no binary at $BIN"
fi

[ "$FAIL" -eq 0 ] && echo "ALL PASSED" || echo "SOME CHECKS FAILED"
exit "$FAIL"
