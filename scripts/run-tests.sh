#!/usr/bin/env bash
# Runs every test: unit tests, bounded fuzz runs of the parsers, integration tests.
# Each stage prints its own closing line; the script fails if any stage fails.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
status=0

echo "== unit tests"
(cd "$build" && ctest --output-on-failure -j "$(nproc)") || status=1

echo "== console type check (tsc)"
(cd "$root/web" && node_modules/.bin/tsc --noEmit -p . && echo "console type check: 1 passed, 0 failed") || status=1

echo "== fuzz targets (bounded)"
"$root/scripts/run-fuzz.sh" || status=1

if [ -d "$root/tests/integration" ] && ls "$root"/tests/integration/test_*.py >/dev/null 2>&1; then
  echo "== integration tests"
  # Every integration test, the minutes-long debian image build included (the suite fits CI's 20-minute
  # budget with it); STRATUS_PYTEST_MARKERS="not slow" leaves that one out on a quick local run.
  STRATUS_BUILD="$build" /usr/bin/python3 -m pytest -v -p no:cacheprovider ${STRATUS_PYTEST_MARKERS:+-m "$STRATUS_PYTEST_MARKERS"} \
    "$root/tests/integration" || status=1
fi
exit $status
