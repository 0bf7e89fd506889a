#!/usr/bin/env bash
# Configures and builds one of the checking builds that live beside build/ (used by
# devtools/run-tests.sh and test/fuzz/run-long.sh):
#
#     bash devtools/build-variant.sh asan|tsan|fuzz DIR [TARGET...]
#
#   asan  g++ with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer; default
#         targets: everything the test suite runs (plugins, ena-testpmd, the unit test
#         programs), not the benchmarks ena-perf and ena-soak
#   tsan  g++ with ThreadSanitizer; default targets: the unit test programs
#   fuzz  clang++ with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer (-Dfuzz=true);
#         default targets: the fuzz targets
#
# All three are built at -O1 with line tables only (-g1), as sanitizer builds usually are: the
# reports still name every function and line, and the build takes about 40% of the CPU time
# that debugoptimized (-O2 -g) does with the sanitizers (CI builds all three, test/fuzz/README.md).
#
# DIR is configured the first time, with the dpdk_sdk option of build/ when build/ has one
# (devtools/setup.sh made it), so the SDK headers are found the same way; and again from scratch
# when this script's options for it have changed. Prints one line per step; the tools' output
# only when a step fails (full logs in DIR/meson-logs/).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf 'build-variant: ERROR: %s\n' "$*" >&2; exit 1; }
(($# >= 2)) || die "usage: build-variant.sh asan|tsan|fuzz DIR [TARGET...]"
variant=$1 dir=$2
shift 2
targets=("$@")

# Frame pointers give whole stacks with the sanitizers' fast unwinder (DPDK's own code has none).
# g++ 12 at -O1 with the sanitizers warns that a std::optional engaged on every path may be used
# uninitialized (sim_devargs.cpp, under -fsanitize=thread): -Wmaybe-uninitialized is off in these
# builds only; the normal -O2 build keeps it, with -Werror.
options=(-Dbuildtype=plain -Db_lundef=false)
case $variant in
asan)
	options+=(-Db_sanitize=address,undefined "-Dcpp_args=-O1 -g1 -fno-omit-frame-pointer -Wno-maybe-uninitialized")
	;;
tsan)
	options+=(-Db_sanitize=thread "-Dcpp_args=-O1 -g1 -Wno-maybe-uninitialized")
	((${#targets[@]})) || targets=(driver_test sim_model_test)
	;;
fuzz)
	options+=(-Dfuzz=true -Db_sanitize=address,undefined "-Dcpp_args=-O1 -gline-tables-only -fno-omit-frame-pointer")
	((${#targets[@]})) || targets=(fuzz_driver_rx_completions fuzz_driver_tx_completions
		fuzz_driver_admin_completions fuzz_driver_aenq fuzz_model_registers fuzz_model_admin fuzz_model_io)
	;;
*) die "unknown variant '$variant' (accepted: asan, tsan, fuzz)" ;;
esac

# The normal build's SDK location, if it has one.
sdk=$(/usr/bin/python3 - "$repo/build/meson-info/intro-buildoptions.json" <<'PY'
import json, sys
try:
    options = json.load(open(sys.argv[1]))
except OSError:
    options = []
print(next((o["value"] for o in options if o["name"] == "dpdk_sdk"), ""))
PY
)
[[ -n $sdk ]] && options+=("-Ddpdk_sdk=$sdk")

log=$dir/meson-logs/build-variant.log
run_logged() {
	mkdir -p "$dir/meson-logs"
	if ! "$@" >"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/    | /' >&2
		die "$* failed (full log: $log)"
	fi
}

stamp=$dir/.build-variant
wanted="$variant ${options[*]}"
if [[ ! -f $dir/build.ninja || ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
	printf '==> build-variant: meson setup %s (%s)\n' "$dir" "$variant"
	rm -rf "$dir"
	if [[ $variant == fuzz ]]; then
		cxx=$(command -v clang++-14 || command -v clang++) || die "clang++ not found: run devtools/setup.sh (Debian package clang-14)"
		CXX=$cxx run_logged meson setup "$dir" "${options[@]}"
	else
		run_logged meson setup "$dir" "${options[@]}"
	fi
	echo "$wanted" >"$stamp"
fi
if [[ $variant == asan ]] && ((${#targets[@]} == 0)); then
	# Every target but the benchmarks, which no test runs.
	mapfile -t targets < <(meson introspect "$dir" --targets | /usr/bin/python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    where = os.path.dirname(t["defined_in"])
    if t["build_by_default"] and not where.endswith(("app/ena-perf", "app/ena-soak")):
        print(t["name"])
')
	((${#targets[@]})) || die "meson introspect $dir found no targets"
fi
printf '==> build-variant: meson compile -C %s %s\n' "$dir" "${targets[*]:-(everything)}"
run_logged meson compile -C "$dir" "${targets[@]}"
