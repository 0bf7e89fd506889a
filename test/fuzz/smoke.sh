#!/usr/bin/env bash
# One fuzz target for a few seconds, as `meson test --suite fuzz` runs it:
#   smoke.sh TARGET CORPUS_DIR SECONDS
# Starts from the committed corpus (read only: what the run finds goes to a scratch folder that
# is removed afterwards) with a fixed seed. An input that crashes, leaks, trips a sanitizer or a
# property, or runs longer than 10 s fails the test and is kept next to the target as
# crash-artifacts/<target>-<kind>-<sha1>; replay it with `TARGET FILE`.
set -euo pipefail
target=$1 corpus=$2 seconds=$3
name=$(basename "$target")
artifacts=$(dirname "$target")/crash-artifacts
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dirs=("$scratch")
[[ -d $corpus ]] && dirs+=("$corpus")
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
# libFuzzer exits 77 on a crash, which meson reads as a skipped test: any failure is 1 here.
status=0
"$target" "${dirs[@]}" -seed=1 -max_total_time="$seconds" -max_len=1024 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/$name-" || status=$?
if ((status != 0)); then
	echo "smoke: $name exited with $status (input kept in $artifacts/)" >&2
	exit 1
fi
