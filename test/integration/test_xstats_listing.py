"""Issue 7, acceptance 1: `show port xstats` in Debian's dpdk-testpmd lists every name of the EC2
user guide's listing and the newer upstream names, for each configured queue, with values that
agree with the traffic sent.

Two ports with two queues each on one vpc wire. In rxonly mode 'start tx_first N' sends N txonly
bursts of 32 on every stream's Tx queue (one stream per queue and port), and nothing else sends;
--txonly-multi-flow varies each frame's UDP flow (the source address up to DPDK 22.11, the UDP
source port since 23.11) and --rss-udp hashes UDP flows by addresses and ports, so RSS spreads
them over the peer's Rx queues.
"""

import re
from pathlib import Path

import pytest

from testpmd_harness import isolated_eal_args, nic_stats, run_testpmd, staged_plugins, xstats

MACS = ("02:00:00:00:72:01", "02:00:00:00:72:02")
QUEUES = 2
BURSTS = 4
FRAME_LEN = 64  # testpmd's default txonly frame (no FCS)
GUIDE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "ec2-ena-user-guide.md"

# The user guide's `show port xstats 0` listing (one queue), as printed there.
GUIDE_LISTING = """
rx_good_packets tx_good_packets rx_good_bytes tx_good_bytes rx_missed_errors rx_errors tx_errors
rx_mbuf_allocation_errors rx_q0_packets rx_q0_bytes rx_q0_errors tx_q0_packets tx_q0_bytes wd_expired
dev_start dev_stop tx_drops bw_in_allowance_exceeded bw_out_allowance_exceeded pps_allowance_exceeded
conntrack_allowance_exceeded linklocal_allowance_exceeded rx_q0_cnt rx_q0_bytes rx_q0_refill_partial
rx_q0_bad_csum rx_q0_mbuf_alloc_fail rx_q0_bad_desc_num rx_q0_bad_req_id tx_q0_cnt tx_q0_bytes
tx_q0_prepare_ctx_err tx_q0_linearize tx_q0_linearize_failed tx_q0_tx_poll tx_q0_doorbells
tx_q0_bad_req_id tx_q0_available_desc
""".split()
# Names the newer upstream PMD added (23.11: customer metrics, ENA Express; 22.03 and 24.11: the
# split checksum counters, bad_desc, unknown_error; missed_tx).
NEWER_UPSTREAM = """
conntrack_allowance_available ena_srd_mode ena_srd_tx_pkts ena_srd_eligible_tx_pkts ena_srd_rx_pkts
ena_srd_resource_utilization rx_q0_l3_csum_bad rx_q0_l4_csum_bad rx_q0_l4_csum_good rx_q0_bad_desc
rx_q0_unknown_error tx_q0_missed_tx
""".split()


def per_queue(names, queues):
    """Each rx_q0_/tx_q0_ name once per queue."""
    out = []
    for name in names:
        if re.match(r"[rt]x_q0_", name):
            out += [name.replace("_q0_", f"_q{q}_", 1) for q in range(queues)]
        else:
            out.append(name)
    return out


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


def test_the_guide_listing_and_newer_names_per_queue_with_values_that_agree(plugin_dir):
    if GUIDE.exists():  # the listing above is the guide's, word for word
        text = GUIDE.read_text()
        block = text[text.index("testpmd> show port xstats 0"):]
        block = block[:block.index("testpmd>\n", 30)]
        assert re.findall(r"^\s+(\w+): \d+$", block, re.M) == GUIDE_LISTING

    # conntrack_max: a device reports conntrack_allowance_available only where connections are tracked.
    ports = [f"--vdev=net_ena_sim{i},mac={mac},queues={QUEUES},wire=vpc:xstats-listing,conntrack_max=100000"
             for i, mac in enumerate(MACS)]
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *ports),
        ["set fwd rxonly", f"start tx_first {BURSTS}", "sleep 1", "stop",
         "sleep 1.2",  # a device snapshot (stats_interval 1000 ms) after the last frame
         "show port xstats 0", "show port xstats 1", "show port stats all"],
        app_args=["--total-num-mbufs=8192", f"--rxq={QUEUES}", f"--txq={QUEUES}", "--txonly-multi-flow", "--rss-udp",
                  f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"], timeout=60)
    assert run.returncode == 0, run.output
    listing = {p: xstats(run.reply(f"show port xstats {p}"))[p] for p in (0, 1)}
    nic = nic_stats(run.reply("show port stats all"))

    names = re.findall(r"^(\w+): \d+$", run.reply("show port xstats 0"), re.M)
    for name in per_queue(GUIDE_LISTING + NEWER_UPSTREAM, QUEUES):
        assert name in names, f"{name} missing from show port xstats 0:\n{run.reply('show port xstats 0')}"
    assert [n for n in names if n.startswith("rx_q2") or n.startswith("tx_q2")] == [], "a queue too many"

    per_tx_queue = BURSTS * 32
    for src, dst in ((0, 1), (1, 0)):
        sent, got = listing[src], listing[dst]
        for q in range(QUEUES):
            assert sent[f"tx_q{q}_cnt"] == per_tx_queue, (src, q, sent)
            assert sent[f"tx_q{q}_packets"] == per_tx_queue, (src, q, sent)
            assert sent[f"tx_q{q}_bytes"] == per_tx_queue * FRAME_LEN, (src, q, sent)
        assert sent["tx_good_packets"] == QUEUES * per_tx_queue == nic[src]["TX-packets"]
        assert sent["tx_good_bytes"] == QUEUES * per_tx_queue * FRAME_LEN
        # The peer received all of it, spread over both Rx queues by RSS.
        assert sum(got[f"rx_q{q}_cnt"] for q in range(QUEUES)) == QUEUES * per_tx_queue, got
        for q in range(QUEUES):
            assert got[f"rx_q{q}_cnt"] > 0, f"port {dst} Rx queue {q} got nothing: RSS did not spread\n{got}"
            assert got[f"rx_q{q}_cnt"] == got[f"rx_q{q}_packets"], got
            assert got[f"rx_q{q}_bytes"] == got[f"rx_q{q}_cnt"] * FRAME_LEN, got
        assert got["rx_good_packets"] == QUEUES * per_tx_queue == nic[dst]["RX-packets"]
        assert got["rx_good_bytes"] == QUEUES * per_tx_queue * FRAME_LEN
        # Nothing went wrong, and the levels are levels.
        for name, value in got.items():
            if re.search(r"error|bad|fail|drop|missed|exceeded|partial|expired|linearize|overflow", name):
                assert value == 0, f"port {dst}: {name} = {value}"
        assert got["dev_start"] == 1 and got["dev_stop"] == 0
        for q in range(QUEUES):
            assert 0 < got[f"tx_q{q}_available_desc"] <= 1024
        assert got["tx_q0_tx_poll"] > 0 and got["tx_q0_doorbells"] > 0
    print({p: {k: v for k, v in listing[p].items() if re.match(r"[rt]x_q\d_(cnt|bytes)$", k)} for p in (0, 1)})
