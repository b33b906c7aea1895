#!/usr/bin/env bash
# The whole test suite: unit tests in virtual time and integration tests against the built binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
swift build --build-tests
# Integration suites start real processes and time them: run them one at a time.
swift test --skip-build --no-parallel
