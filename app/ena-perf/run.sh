#!/usr/bin/env bash
# The ena-ng datapath benchmark, in one command (doc/guides/nics/ena_ng_perf.rst):
#
#     bash app/ena-perf/run.sh [run.py options]      e.g. --no-testpmd, --json, --build DIR
#
# Brings the build up to date (build/, or $ENA_NG_BUILD, or --build DIR), then runs ena-perf
# natively, under callgrind, and dpdk-testpmd forwarding for 64, 512 and 1500-byte frames on
# net_ena_sim (each engine mode), net_null, net_ring and a net_memif pair; prints one table and
# writes ena-perf.json, throughput.png and driver-cycles.png (BUILD/ena-perf-results/). Figures
# only: it never passes or fails on a number. Takes about five minutes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${ENA_NG_BUILD:-$repo/build}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--build) build=${args[i + 1]:-$build} ;;
	--build=*) build=${args[i]#--build=} ;;
	esac
done
if [[ ! -f $build/build.ninja ]]; then
	echo "run.sh: no meson build in $build: run devtools/setup.sh (or meson setup $build) first" >&2
	exit 1
fi
ninja -C "$build" app/ena-perf/ena-perf drivers/librte_net_ena_ng.so drivers/librte_net_ena_sim.so >&2
# Debian's python3 has pexpect (testpmd harness); the first python3 on PATH may not.
exec /usr/bin/python3 "$repo/app/ena-perf/run.py" --build "$build" "$@"
