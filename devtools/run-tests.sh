#!/usr/bin/env bash
# Builds ena-ng and runs every test (unit + integration) with meson test. Sets the machine up
# first when there is no build yet (a fresh clone or machine). Ends with one line
# "N passed, N failed"; exits 1 if anything failed. TEST_SETUP=poll runs the suite in that meson
# test setup (every port's control path polled instead of on the management interrupt).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${BUILD_DIR:-build}
finish() { echo "$1 passed, $2 failed"; exit $(($2 > 0 ? 1 : 0)); }

if [[ ! -f $build/build.ninja ]]; then
	echo "==> run-tests: no build in $build/: running devtools/setup.sh"
	bash devtools/setup.sh || { echo "run-tests: setup failed"; finish 0 1; }
fi
echo "==> run-tests: ninja -C $build"
ninja -C "$build" || { echo "run-tests: build failed"; finish 0 1; }

setup=${TEST_SETUP:-}
log="$build/meson-logs/testlog${setup:+-$setup}.json"
echo "==> run-tests: meson test -C $build${setup:+ --setup=$setup}"
rm -f "$log"
meson test -C "$build" --print-errorlogs ${setup:+--setup="$setup"}
status=$?

# Count from meson's machine-readable log rather than its human summary.
read -r passed failed < <(/usr/bin/python3 - "$log" <<'PY'
import json, sys
passed = failed = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result != "SKIP":
        failed += 1  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS
print(passed, failed)
PY
)
# meson test failing without a failed test in the log (e.g. it could not start) still fails.
if ((status != 0 && failed == 0)); then
	echo "run-tests: meson test exited with $status"
	failed=1
fi
finish "${passed:-0}" "${failed:-1}"
