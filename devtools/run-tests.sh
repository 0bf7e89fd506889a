#!/usr/bin/env bash
# Builds ena-ng and runs every test stage; CI runs this (through .ci/run). Sets the machine up
# first when there is no build yet (a fresh clone or machine). Ends with one line
# "N passed, N failed" counting the tests of every stage it ran; exits 1 if anything failed.
#
#     bash devtools/run-tests.sh [STAGE...]        (default: normal asan tsan fuzz; in the order given)
#
#   normal  build/       meson test: suites unit and integration
#   asan    build-asan/  the same tests on an AddressSanitizer + LeakSanitizer + UBSan build;
#                        Debian's dpdk-testpmd and dpdk-proc-info get the ASan runtime preloaded
#   tsan    build-tsan/  the unit test programs (the threaded engine, the control-path alarm,
#                        statistics readers on other threads) under ThreadSanitizer
#   fuzz    build-fuzz/  every libFuzzer target for a few seconds on its corpus (suite fuzz)
#   poll    build/       meson test --setup=poll: the normal tests with every port's control path
#                        polled (control_path_poll_interval=500) instead of on the management
#                        interrupt, the default
#
# A sanitizer report anywhere in a stage fails it, also when the test that ran the program
# passed: each report file counts as one failed test and is printed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

all_stages=(normal asan tsan fuzz poll)
stages=("$@")
# Default (CI): every stage but poll, which runs the normal tests once more (by name: run-tests.sh poll).
((${#stages[@]})) || stages=(normal asan tsan fuzz)
for s in "${stages[@]}"; do
	[[ " ${all_stages[*]} " == *" $s "* ]] || { echo "run-tests: unknown stage '$s' (accepted: ${all_stages[*]})"; exit 2; }
done

passed=0 failed=0
finish() { echo "$passed passed, $failed failed"; exit $((failed > 0 ? 1 : 0)); }
stage_failed() { echo "run-tests: $*"; failed=$((failed + 1)); }

# Runs meson test in $1 with the rest as arguments and adds its results to the totals; in the
# meson test setup $MESON_SETUP if set.
meson_test() {
	local dir=$1
	shift
	local log=$dir/meson-logs/testlog${MESON_SETUP:+-$MESON_SETUP}.json
	rm -f "$log"
	meson test -C "$dir" --no-rebuild --print-errorlogs ${MESON_SETUP:+--setup="$MESON_SETUP"} "$@"
	local status=$? p f
	# Count from meson's machine-readable log rather than its human summary.
	read -r p f < <(/usr/bin/python3 - "$log" <<'PY'
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
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	# meson test failing without a failed test in the log (e.g. it could not start) still fails.
	if ((status != 0 && ${f:-0} == 0)); then
		stage_failed "meson test -C $dir exited with $status"
	fi
}

# Every sanitizer report written to $1 counts as a failed test.
count_reports() {
	local dir=$1 report
	for report in "$dir"/*; do
		[[ -s $report ]] || continue
		stage_failed "sanitizer report $report:"
		sed 's/^/    | /' "$report" | head -n 60
	done
}

# Builds the normal tree (setting the machine up first if there is none); fails the stage if not.
build_normal() {
	if [[ ! -f $1/build.ninja ]]; then
		echo "==> run-tests: no build in $1/: running devtools/setup.sh"
		bash devtools/setup.sh || { stage_failed "setup failed"; finish; }
	fi
	echo "==> run-tests: ninja -C $1"
	ninja -C "$1" || { stage_failed "build failed"; return 1; }
}

stage_normal() {
	local build=${BUILD_DIR:-build}
	build_normal "$build" || return
	echo "==> run-tests: meson test -C $build"
	meson_test "$build"
}

stage_poll() {
	local build=${BUILD_DIR:-build}
	build_normal "$build" || return
	echo "==> run-tests: meson test -C $build --setup=poll (every control path polled)"
	MESON_SETUP=poll meson_test "$build"
}

# The checking builds need the machine set up (packages, SDK headers) as the normal one does.
ensure_setup() {
	[[ -f build/build.ninja ]] && return 0
	echo "==> run-tests: no build in build/: running devtools/setup.sh"
	bash devtools/setup.sh
}

stage_asan() {
	local dir=build-asan
	ensure_setup && bash devtools/build-variant.sh asan "$dir" || { stage_failed "asan build failed"; return; }
	local reports=$repo/$dir/sanitizer-reports bin=$repo/$dir/sanitizer-bin
	rm -rf "$reports" "$bin" && mkdir -p "$reports" "$bin"
	# Debian's DPDK programs are not instrumented: they get the ASan runtime preloaded, so that
	# our plugins' checks work inside them (the tests take these wrappers from ENA_NG_DPDK_TOOLS,
	# before the DPDK programs meson gives them). A DPDK secondary process (dpdk-proc-info, and the
	# allowance_monitor example run as one) leaks what DPDK 22.11 allocates for every vdev it mirrors
	# from the primary: those stacks, and only in secondaries, are suppressed
	# (test/sanitizers/lsan-dpdk-secondary.supp).
	local runtime program
	runtime=$(g++ -print-file-name=libasan.so)
	for program in dpdk-testpmd dpdk-proc-info; do
		local real
		real=$(command -v "$program") || continue
		{
			echo '#!/bin/sh'
			[[ $program == dpdk-proc-info ]] &&
				echo "export LSAN_OPTIONS=\"suppressions=$repo/test/sanitizers/lsan-dpdk-secondary.supp:print_suppressions=0\${LSAN_OPTIONS:+:\$LSAN_OPTIONS}\""
			echo "LD_PRELOAD=\"$runtime\${LD_PRELOAD:+ \$LD_PRELOAD}\" exec $real \"\$@\""
		} >"$bin/$program"
		chmod +x "$bin/$program"
	done
	# The Nitro test's figures are rates against wall-clock time, outside its tolerances when
	# ASan slows the engine thread down; it runs in the normal stage. Its code paths run here in
	# the unit tests' virtual time.
	local tests
	mapfile -t tests < <(meson test -C "$dir" --no-rebuild --list 2>/dev/null | sed -n 's/^ena-ng:[a-z]* \/ //p' | grep -vx nitro)
	echo "==> run-tests: meson test -C $dir (AddressSanitizer, LeakSanitizer, UBSan; ${#tests[@]} tests)"
	ENA_NG_DPDK_TOOLS="$bin" \
		ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
		meson_test "$dir" "${tests[@]}"
	count_reports "$reports"
}

stage_tsan() {
	local dir=build-tsan
	ensure_setup && bash devtools/build-variant.sh tsan "$dir" || { stage_failed "tsan build failed"; return; }
	local reports=$repo/$dir/sanitizer-reports
	rm -rf "$reports" && mkdir -p "$reports"
	echo "==> run-tests: meson test -C $dir driver sim_model (ThreadSanitizer)"
	TSAN_OPTIONS="log_path=$reports/tsan:suppressions=$repo/test/sanitizers/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
		meson_test "$dir" driver sim_model
	count_reports "$reports"
}

stage_fuzz() {
	local dir=build-fuzz
	ensure_setup && bash devtools/build-variant.sh fuzz "$dir" || { stage_failed "fuzz build failed"; return; }
	echo "==> run-tests: meson test -C $dir --suite fuzz"
	meson_test "$dir" --suite fuzz
}

for s in "${stages[@]}"; do
	echo "==> run-tests: stage $s"
	start=$SECONDS
	"stage_$s"
	echo "==> run-tests: stage $s took $((SECONDS - start)) s"
done
finish
