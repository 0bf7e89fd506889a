#!/usr/bin/env bash
# The demo: dpdk-testpmd (Debian's) with the ena-ng plugins on two simulated ENA ports that share
# one simulated VPC segment. Shows port 0, forwards traffic between the two ports for a few
# seconds, shows the counters, and exits by itself with testpmd's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${BUILD_DIR:-build}
seconds=${DEMO_SECONDS:-3}
[[ -f $build/build.ninja ]] || { echo "demo: no build in $build/: run devtools/setup.sh first" >&2; exit 1; }
ninja -C "$build" >/dev/null || { echo "demo: build failed: run ninja -C $build" >&2; exit 1; }

log=$build/demo.log
cat <<EOF
==> demo: dpdk-testpmd -d <copy of $build/drivers> --no-huge -m 512 --no-pci
              --vdev=net_ena_sim0,mac=02:00:00:00:00:01,queues=2,wire=vpc:demo
              --vdev=net_ena_sim1,mac=02:00:00:00:00:02,queues=2,wire=vpc:demo
              -- -i --total-num-mbufs=8192 --no-numa --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01
    Two simulated ENAs (net_ena_sim) on one simulated VPC segment, each driven by the net_ena_ng
    driver. testpmd asks every port for promiscuous mode, which an ENA does not have: its
    "Error during enabling promiscuous mode ... ignore" lines are expected.
EOF
set +e
# Each port addresses its frames to the other's MAC (--eth-peer), so they cross the segment.
/usr/bin/python3 test/integration/testpmd_harness.py --drivers "$build/drivers" --timeout 120 \
	--eal=--vdev=net_ena_sim0,mac=02:00:00:00:00:01,queues=2,wire=vpc:demo \
	--eal=--vdev=net_ena_sim1,mac=02:00:00:00:00:02,queues=2,wire=vpc:demo \
	--app=--no-numa --app=--nb-cores=1 \
	--app=--eth-peer=0,02:00:00:00:00:02 --app=--eth-peer=1,02:00:00:00:00:01 \
	'# ==> 1. Port 0: a simulated ENA, link up, its MAC, queue and descriptor limits' \
	'show port info 0' \
	"# ==> 2. Traffic: each port sends 8 bursts of 32 packets to the other; io forwarding then sends every packet it receives out of the other port, for $seconds s (counters first: all 0)" \
	'set fwd io' \
	'show port stats all' \
	'start tx_first 8' \
	"sleep $seconds" \
	'stop' \
	'# ==> 3. Counters of both ports after the run (Rx-pps, Tx-pps: the rates over the run)' \
	'show port stats all' \
	'# ==> 4. Extended statistics of port 0 (names as in the upstream ENA PMD)' \
	'show port xstats 0' \
	| tee "$log"
status=${PIPESTATUS[0]}
set -e

if grep -q 'No probed ethernet devices' "$log"; then
	echo "==> demo: no simulated port probed (is the net_ena_sim simulator implemented yet?)"
fi
# One line of figures, from the last 'show port stats all' of the session.
/usr/bin/python3 - "$log" "$seconds" <<'PY' || true
import sys
sys.path.insert(0, "test/integration")
from testpmd_harness import nic_stats
text, seconds = open(sys.argv[1]).read(), float(sys.argv[2])
last = text[text.rfind("show port stats all"):]
stats = nic_stats(last.split("testpmd>")[0])
if {0, 1} <= set(stats):
    a, b = stats[0], stats[1]
    errors = sum(s[k] for s in (a, b) for k in ("RX-missed", "RX-errors", "RX-nombuf", "TX-errors"))
    print(f"==> demo: port 0 -> port 1: {a['TX-packets']} packets sent, {b['RX-packets']} received; "
          f"port 1 -> port 0: {b['TX-packets']} sent, {a['RX-packets']} received "
          f"(~{(a['TX-packets'] + b['TX-packets']) / seconds / 1e6:.1f} Mpps in all); "
          f"missed + errors: {errors}")
PY
echo "==> demo: testpmd exited with status $status (session log: $log)"
exit "$status"
