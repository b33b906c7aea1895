#!/usr/bin/env bash
# The main job: the supervise daemon in the foreground supervising simulated workers
# on loopback (examples/demo.yaml). A narrator in the background crashes, stops and
# starts workers and prints `supervise status`; then a burst of calls lands in a Redis
# list and the autoscaled service `agent` grows and shrinks with it, removing replicas
# only by drain. The redis-server is the demo's own (127.0.0.1:18379, a private
# directory), stopped by its PID on every path. The narration ends about 50 s after the
# daemon starts (the flaky worker then keeps crashing and being healed); Ctrl-C stops
# everything (or DEMO_SECONDS=60 stops it after the narration).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build --product supervise
swift build --product agent-sim
BIN=.build/debug
DIR=/tmp/supervise-demo
SOCK=$DIR/control.sock
REDIS_PORT=18379
QUEUE="redis://127.0.0.1:$REDIS_PORT/0/call-queue"
mkdir -p "$DIR"

REDIS="" DAEMON="" NARRATOR="" TIMER="" REDIS_DIR=""
# On every path out (the end, an error, Ctrl-C, a SIGTERM): the narrator, then the daemon (it stops its units),
# then the demo's redis-server, each by its PID; then the server's directory.
cleanup() {
  set +e
  [ -n "$TIMER" ] && kill "$TIMER" 2>/dev/null
  [ -n "$NARRATOR" ] && kill "$NARRATOR" 2>/dev/null
  if [ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null; then
    kill -TERM "$DAEMON" 2>/dev/null
    wait "$DAEMON" 2>/dev/null
  fi
  if [ -n "$REDIS" ]; then
    kill -TERM "$REDIS" 2>/dev/null
    wait "$REDIS" 2>/dev/null
  fi
  [ -n "$REDIS_DIR" ] && rm -rf "$REDIS_DIR"
  return 0
}
trap cleanup EXIT

# The queue's server: Debian's redis-server on a loopback port of the demo's own, nothing saved to disk. setsid keeps
# the terminal's Ctrl-C from reaching it, so it outlives the daemon's shutdown and is stopped here, last.
if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then
  echo "demo: 127.0.0.1:$REDIS_PORT is taken; the demo's redis-server needs it (examples/demo.yaml)" >&2
  exit 1
fi
REDIS_DIR=$(mktemp -d "$DIR/redis.XXXXXX")
setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save "" --appendonly no \
  --daemonize no --logfile "$REDIS_DIR/redis.log" &
REDIS=$!
for _ in $(seq 50); do
  [ "$(redis-cli -p "$REDIS_PORT" PING 2>/dev/null)" = PONG ] && break
  kill -0 "$REDIS" 2>/dev/null || { echo "demo: redis-server exited:" >&2; cat "$REDIS_DIR/redis.log" >&2; exit 1; }
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" DEL call-queue >/dev/null

narrate() {
  set +e
  # A TERM from the script ends the narrator at once, mid-pause included.
  local PAUSE=""
  trap '[ -n "$PAUSE" ] && kill "$PAUSE" 2>/dev/null; exit 0' TERM
  pause() { sleep "$1" & PAUSE=$!; wait "$PAUSE" || true; PAUSE=""; }
  say() { printf '\n\033[1m=== demo: %s\033[0m\n' "$*" >&2; }
  st() { $BIN/supervise status --socket "$SOCK" >&2 || true; }
  pause 3;  say "supervise status";                                   st
  pause 2;  say "worker-2 exits with code 3 (policy on-failure: restarted at once)"
  curl -s -X POST 'http://127.0.0.1:18082/control/exit?code=3' >/dev/null || true
  pause 1;  st
  pause 2;  say "worker-1 hangs: its liveness probe times out twice and it is restarted"
  curl -s -X POST http://127.0.0.1:18081/control/hang >/dev/null || true
  pause 4;  st
  say "supervise stop worker-3 (an operator's stop is not a crash)"
  $BIN/supervise stop worker-3 --socket "$SOCK" >&2 || true
  pause 2;  st
  pause 1;  say "supervise start worker-3";  $BIN/supervise start worker-3 --socket "$SOCK" >&2 || true
  pause 2;  say "two calls (3 s and 6 s) on worker-2, then: supervise drain worker-2 --wait"
  curl -s -X POST 'http://127.0.0.1:18082/calls?duration=3' >/dev/null || true
  curl -s -X POST 'http://127.0.0.1:18082/calls?duration=6' >/dev/null || true
  $BIN/supervise drain worker-2 --wait --socket "$SOCK" >&2 || true
  st
  say "supervise undrain worker-2";  $BIN/supervise undrain worker-2 --socket "$SOCK" >&2 || true
  pause 2;  say "supervise restart worker --rolling (one worker at a time, each drained first)"
  $BIN/supervise restart worker --rolling --socket "$SOCK" >&2 || true
  pause 4;  st
  say "what Prometheus scrapes (metrics.listen 127.0.0.1:19469): restarts by reason, live calls, units up"
  curl -s http://127.0.0.1:19469/metrics | grep -E '^supervise_(unit_restarts_total\{unit="flaky|unit_live_calls|service_ready_replicas)' >&2 || true
  say "the last events (supervise events --since 1m, a few lines)"
  timeout 1 $BIN/supervise events --since 1m --socket "$SOCK" 2>&1 | tail -n 5 >&2 || true

  # The queue: agent-1 and agent-2 take calls from call-queue (two at a time each); the autoscaler wants
  # ⌈length / 5⌉ replicas, 2 to 6, adds them at once and removes them only by drain after a 10 s window.
  service() { $BIN/supervise status --socket "$SOCK" 2>/dev/null | grep '^service agent:' || echo "service agent: (no answer)"; }
  queued() { redis-cli -p "$REDIS_PORT" LLEN call-queue 2>/dev/null || echo "?"; }
  say "agent: replicas taking calls from the Redis list call-queue (the demo's redis-server, 127.0.0.1:$REDIS_PORT); autoscale 2…6 at 5 queued calls a replica"
  service >&2
  say "a burst of 30 calls of 5 s: agent-sim enqueue --queue $QUEUE --count 30 --duration 5"
  $BIN/agent-sim enqueue --queue "$QUEUE" --count 30 --duration 5 >&2 || true
  say "every change, until the queue is empty and the service is back at 2: time, queued calls, supervise status's service line"
  local last="" line queue desired running ready grown="" t0=$SECONDS
  while [ $((SECONDS - t0)) -lt 75 ]; do
    queue=$(queued)
    line="queue $queue | $(service)"
    if [ "$line" != "$last" ]; then printf '%s  %s\n' "$(date +%T)" "$line" >&2; last=$line; fi
    if [[ $line =~ service\ agent:\ ([0-9]+)\ desired,\ ([0-9]+)\ running,\ ([0-9]+)\ in\ service ]]; then
      desired=${BASH_REMATCH[1]} running=${BASH_REMATCH[2]} ready=${BASH_REMATCH[3]}
      if [ -z "$grown" ] && [ "$desired" -gt 2 ] && [ "$ready" -eq "$desired" ]; then
        grown=1
        say "scaled up to $desired; GET /v1/services/agent (curl --unix-socket $SOCK http://localhost/v1/services/agent):"
        curl -s --unix-socket "$SOCK" http://localhost/v1/services/agent >&2 || true
        printf '\n' >&2
      fi
      if [ -n "$grown" ] && [ "$queue" = 0 ] && [ "$desired$running$ready" = 222 ] && [[ $line != *leaving* ]]; then break; fi
    fi
    pause 0.5
  done
  say "the scale-down was drain-only: calls cut, from supervise_drain_calls_cut_total on the control socket's /metrics, and the drains in supervise events"
  curl -s --unix-socket "$SOCK" http://localhost/metrics \
    | awk '/^supervise_drain_calls_cut_total\{unit="agent-/ { n++; s += $NF } END { printf "supervise_drain_calls_cut_total over the %d agent replicas listed: %d\n", n, s }' >&2 || true
  timeout 1 $BIN/supervise events --since 5m --socket "$SOCK" 2>/dev/null \
    | awk '$3 ~ /^agent-/ && $4 ~ /^drain-(done|cut|timeout)$/ { n[$4]++ } END {
        printf "drains of agent replicas: %d done, %d cut, %d timed out\n", n["drain-done"], n["drain-cut"], n["drain-timeout"] }' >&2 || true
  say "the flaky worker keeps crashing every 4 s and is healed each time; Ctrl-C to stop"
}

$BIN/supervise run --config examples/demo.yaml &
DAEMON=$!
narrate &
NARRATOR=$!
trap 'kill -TERM $DAEMON 2>/dev/null || true' INT TERM
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS" &
  TIMER=$!
fi
status=0
if [ -n "$TIMER" ]; then
  # Whichever ends first: the daemon, or DEMO_SECONDS (then the daemon is asked to stop).
  wait -n "$DAEMON" "$TIMER" || true
  kill -TERM "$DAEMON" 2>/dev/null || true
fi
wait "$DAEMON" || status=$?
# wait returns early when a trapped signal arrives; wait again for the daemon to finish its shutdown.
kill -0 "$DAEMON" 2>/dev/null && { wait "$DAEMON" || status=$?; }
exit $status
