#!/usr/bin/env bash
# The whole test suite: unit tests in virtual time and integration tests against the built binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build --build-tests
# The benchmarks package (Benchmarks/Package.swift): supervise-bench, so that it keeps compiling, and its tests.
swift build --package-path Benchmarks --build-tests
# The Debian package (a static release build, man pages, completions, lintian) and a static agent-sim, both
# for DebianPackageTests, which installs them on a Debian 12 image without Swift.
scripts/build-deb.sh
swift build -c release --static-swift-stdlib --product agent-sim
# Integration suites start real processes and time them: run them one at a time.
swift test --skip-build --no-parallel
# The probe benchmark's anchors against agent-sim servers of the debug build above.
swift test --package-path Benchmarks --skip-build --no-parallel
