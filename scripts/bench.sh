#!/usr/bin/env bash
# Benchmarks on a release build; prints figures. Options are passed to supervise-bench
# (default: 100 and 1,000 sleep units, 200 kill -9 each, 60 s idle window).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build -c release --product supervise
swift build -c release --product supervise-bench
exec .build/release/supervise-bench restart "$@"
