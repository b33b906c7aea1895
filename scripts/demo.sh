#!/usr/bin/env bash
# The main job: the supervise daemon in the foreground supervising simulated workers
# on loopback (examples/demo.yaml). A narrator in the background crashes, stops and
# starts workers and prints `supervise status`. Ctrl-C stops everything (or set DEMO_SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build --product supervise
swift build --product agent-sim
BIN=.build/debug
SOCK=/tmp/supervise-demo/control.sock
mkdir -p /tmp/supervise-demo

narrate() {
  say() { printf '\n\033[1m=== demo: %s\033[0m\n' "$*" >&2; }
  st() { $BIN/supervise status --socket "$SOCK" >&2 || true; }
  sleep 3;  say "supervise status";                                   st
  sleep 2;  say "worker-2 exits with code 3 (policy on-failure: restarted at once)"
  curl -s -X POST 'http://127.0.0.1:18082/control/exit?code=3' >/dev/null || true
  sleep 1;  st
  sleep 2;  say "worker-1 hangs: its liveness probe times out twice and it is restarted"
  curl -s -X POST http://127.0.0.1:18081/control/hang >/dev/null || true
  sleep 4;  st
  say "supervise stop worker-3 (an operator's stop is not a crash)"
  $BIN/supervise stop worker-3 --socket "$SOCK" >&2 || true
  sleep 2;  st
  sleep 1;  say "supervise start worker-3";  $BIN/supervise start worker-3 --socket "$SOCK" >&2 || true
  sleep 2;  say "two calls (3 s and 6 s) on worker-2, then: supervise drain worker-2 --wait"
  curl -s -X POST 'http://127.0.0.1:18082/calls?duration=3' >/dev/null || true
  curl -s -X POST 'http://127.0.0.1:18082/calls?duration=6' >/dev/null || true
  $BIN/supervise drain worker-2 --wait --socket "$SOCK" >&2 || true
  st
  say "supervise undrain worker-2";  $BIN/supervise undrain worker-2 --socket "$SOCK" >&2 || true
  sleep 2;  say "supervise restart worker --rolling (one worker at a time, each drained first)"
  $BIN/supervise restart worker --rolling --socket "$SOCK" >&2 || true
  sleep 4;  st
  say "what Prometheus scrapes (metrics.listen 127.0.0.1:19469): restarts by reason, live calls, units up"
  curl -s http://127.0.0.1:19469/metrics | grep -E '^supervise_(unit_restarts_total\{unit="flaky|unit_live_calls|service_ready_replicas)' >&2 || true
  say "the last events (supervise events --since 1m, a few lines)"
  timeout 1 $BIN/supervise events --since 1m --socket "$SOCK" 2>&1 | tail -n 5 >&2 || true
  say "the flaky worker keeps crashing every 4 s and is healed each time; Ctrl-C to stop"
}

$BIN/supervise run --config examples/demo.yaml &
DAEMON=$!
narrate &
NARRATOR=$!
trap 'kill -TERM $DAEMON 2>/dev/null || true' INT TERM
if [ -n "${DEMO_SECONDS:-}" ]; then
  ( sleep "$DEMO_SECONDS"; kill -TERM $DAEMON 2>/dev/null || true ) &
fi
status=0
wait $DAEMON || status=$?
# wait returns early when a trapped signal arrives; wait again for the daemon to finish its shutdown.
kill -0 $DAEMON 2>/dev/null && { wait $DAEMON || status=$?; }
kill $NARRATOR 2>/dev/null || true
exit $status
