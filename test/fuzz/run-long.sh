#!/usr/bin/env bash
# Long fuzzing runs (test/fuzz/README.md):
#
#     bash test/fuzz/run-long.sh [--seconds N] [--merge] [TARGET...]
#
# Runs each target (default: all seven, one after the other) for N seconds (default 600) in
# build-fuzz/, configuring and building it first if needed. Every run starts from the committed
# corpus (test/fuzz/corpus/<target>) plus what earlier runs found (build-fuzz/fuzz-corpus/<target>,
# kept between runs), and ends with libFuzzer's final figures: runs, exec/s, coverage (cov:
# edges, ft: features), corpus size. A crash stops that target's run; its input is kept as
# build-fuzz/fuzz-artifacts/<target>-crash-<sha1> and the script exits 1 at the end. --merge
# then adds to the committed corpus the fewest inputs that reach the coverage it lacks (libFuzzer
# -set_cover_merge=1), for a commit.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${ENA_NG_FUZZ_BUILD:-$repo/build-fuzz}
seconds=600
merge=0
targets=()
while (($#)); do
	case $1 in
	--seconds) seconds=$2; shift ;;
	--seconds=*) seconds=${1#--seconds=} ;;
	--merge) merge=1 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) targets+=("${1#fuzz_}") ;;
	esac
	shift
done
((${#targets[@]})) || targets=(driver_rx_completions driver_tx_completions driver_admin_completions driver_aenq
	model_registers model_admin model_io)

bash "$repo/devtools/build-variant.sh" fuzz "$build" "${targets[@]/#/fuzz_}"
mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
failed=0
for t in "${targets[@]}"; do
	corpus=$build/fuzz-corpus/$t seeds=$repo/test/fuzz/corpus/$t
	mkdir -p "$corpus"
	dirs=("$corpus")
	[[ -d $seeds ]] && dirs+=("$seeds")
	echo "==> fuzz_$t for $seconds s"
	log=$build/fuzz-artifacts/$t.log
	# Inputs are programs: long ones from the start (-len_control=0) reach deeper states; in two
	# minutes on driver_rx_completions that found 6073 features against 4255 with libFuzzer's
	# slow growth of the length limit, at a third of the executions.
	if "$build/test/fuzz/fuzz_$t" "${dirs[@]}" -max_total_time="$seconds" -max_len=1024 -len_control=0 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" >"$log" 2>&1; then
		status=ok
	else
		status=FAILED
		failed=1
	fi
	# The last status line (runs, cov, ft, corpus, exec/s) and the final statistics.
	grep -E '^#[0-9]+' "$log" | tail -n 1
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log"
	if [[ $status == FAILED ]]; then
		grep -E 'ERROR|property violated|runtime error|Test unit written' "$log" | head -n 5
		echo "fuzz_$t: FAILED (log: $log)"
	fi
	if ((merge)) && [[ $status == ok ]]; then
		mkdir -p "$seeds"
		"$build/test/fuzz/fuzz_$t" -set_cover_merge=1 -max_len=1024 "$seeds" "$corpus" >"$build/fuzz-artifacts/$t.merge.log" 2>&1
		echo "merged: $(ls "$seeds" | wc -l) inputs in test/fuzz/corpus/$t"
	fi
done
exit $failed
