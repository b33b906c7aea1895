#!/usr/bin/env bash
# Benchmarks on a release build; prints figures.
#   scripts/bench.sh                 all benchmarks with their defaults
#   scripts/bench.sh restart [opts]  kill -9 -> running at 100 and 1,000 units; idle RSS/CPU
#   scripts/bench.sh containment [opts]  kill -9 -> new process exec'd: a cgroup per unit, process groups,
#                                    and a bare C posix_spawn/waitpid loop, in one run (root: mounts cgroup2)
#   scripts/bench.sh probes [opts]   1,000 HTTP probes at 1 s, with bare-libcurl and bare-socket anchors;
#                                    unhealthy -> restart issued
#   scripts/bench.sh docker [opts]   containers on a private dockerd (root): kill -9 -> running again,
#                                    Docker's restart: always vs supervise; HEALTHCHECK unhealthy -> restart issued
#   scripts/bench.sh rolling [opts]  calls dropped: docker-compose restart vs supervise restart --rolling
#                                    (3 Compose workers on a private dockerd; root, docker.io, docker-compose)
#   scripts/bench.sh rollout [opts]  calls dropped by a new worker image: docker-compose up -d with the image
#                                    changed vs supervise rollout --image (3 Compose workers, private dockerd)
#   scripts/bench.sh output [opts]   one unit writing flat out (yes): log bytes, daemon CPU and peak RSS
#                                    with the output rate limit, and without it (the anchor)
#   scripts/bench.sh metrics [opts]  time and size of a Prometheus scrape; daemon CPU scraped every 1 s vs not
#   scripts/bench.sh autoscale [opts]  a burst of 50 queued calls on a private redis-server: burst -> the
#                                    autoscaler's decision -> added replicas in service (2 -> 10), with the HPA's
#                                    default scale-up policy and with a one-step one; calls cut by the scale-down;
#                                    KEDA's documented defaults beside them
#   scripts/bench.sh rss [opts]      the restart benchmark's idle RSS at 100 and 1,000 units of the release
#                                    build (Swift runtime linked statically, as shipped) beside a build that
#                                    loads it from the toolchain (.build-dynamic, built here)
# The release builds link the Swift runtime statically (--static-swift-stdlib), as `make build` and the
# Debian package do: the figures are those of the binary hosts run.
# The benchmarks are a package of their own (Benchmarks/Package.swift), built in Benchmarks/.build; what they
# measure is the root package's release build, .build/release/supervise and .build/release/agent-sim, which
# Benchmarks/.build/release/supervise-bench finds from its own path (from any working directory).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build -c release --static-swift-stdlib --product supervise
swift build -c release --static-swift-stdlib --product agent-sim
swift build --package-path Benchmarks -c release --static-swift-stdlib --product supervise-bench
bench=Benchmarks/.build/release/supervise-bench
if [ "${1:-}" = rss ]; then
  shift
  swift build -c release --scratch-path .build-dynamic --product supervise
  exec "$bench" restart --supervise .build/release/supervise --supervise .build-dynamic/release/supervise "$@"
fi
if [ $# -eq 0 ]; then
  "$bench" restart
  "$bench" containment
  "$bench" probes
  "$bench" docker
  "$bench" rolling
  "$bench" rollout
  "$bench" output
  "$bench" metrics
  "$bench" autoscale
else
  exec "$bench" "$@"
fi
