#!/usr/bin/env bash
# The demo: dpdk-testpmd (Debian's) with the ena-ng plugins on two simulated ENA ports that share
# one simulated VPC segment. Shows the port, sends traffic one way and the other (txonly), shows
# the counters, and exits by itself with testpmd's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${BUILD_DIR:-build}
[[ -f $build/build.ninja ]] || { echo "demo: no build in $build/: run devtools/setup.sh first" >&2; exit 1; }
ninja -C "$build" >/dev/null || { echo "demo: build failed: run ninja -C $build" >&2; exit 1; }

log=$build/demo.log
echo "==> demo: dpdk-testpmd with $build/drivers/librte_net_ena_{ng,sim}.so on net_ena_sim0 + net_ena_sim1 (wire=vpc:demo)"
set +e
# Each port addresses its frames to the other's MAC, so txonly traffic crosses the segment.
/usr/bin/python3 test/integration/testpmd_harness.py --drivers "$build/drivers" --timeout 120 \
	--eal=--vdev=net_ena_sim0,mac=02:00:00:00:00:01,queues=2,wire=vpc:demo \
	--eal=--vdev=net_ena_sim1,mac=02:00:00:00:00:02,queues=2,wire=vpc:demo \
	--app=--nb-cores=1 \
	--app=--eth-peer=0,02:00:00:00:00:02 --app=--eth-peer=1,02:00:00:00:00:01 \
	'show port info 0' \
	'set fwd txonly' \
	'start' 'sleep 3' 'stop' \
	'show port stats all' \
	'show port xstats 0' \
	| tee "$log"
status=${PIPESTATUS[0]}
set -e

if grep -q 'No probed ethernet devices' "$log"; then
	echo "==> demo: no simulated port probed (is the net_ena_sim simulator implemented yet?)"
fi
echo "==> demo: testpmd exited with status $status (session log: $log)"
exit "$status"
