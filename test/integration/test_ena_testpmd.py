"""ena-testpmd (app/ena-testpmd): testpmd's commands with testpmd's output, and ENA's own views.

- One script of testpmd commands, typed into ena-testpmd and into Debian's dpdk-testpmd on the
  same simulated ports, gives the same sections with the same field names and line structure in
  the same order (values aside): users' habits and scripts carry over.
- --cmdline-file without -i runs the file and exits; with -i a file ending in quit exits too.
- --stats-period N prints the port statistics every N seconds, while traffic runs.
- macswap and icmpecho change the frames as they should: a replayed capture (pcap wire) comes
  back in the tx capture with the MACs exchanged, ARP requests and ICMP echo requests answered
  byte for byte (other frames not answered).
- sim link raises the link state change event line and `show port info` follows the link;
  sim fault arms a fault the device then holds pending (and clears it), the new kinds with their
  argument (tx_queue_stall:1, link_flap:250) and until_reset, by ena-testpmd's names or the
  faults= devarg's; sim commands on a port that is not simulated say so.
- --auto-reset recovers a port whose simulated device asks for a reset (sim fault 0
  device_reset_request) and forwarding goes on.
- show port allowance / show port llq print their fields; a port whose driver has no ENI
  counters gets "not reported by this device".
- A bad command gets testpmd's error and the prompt goes on.
"""

import re
import signal
import struct
import subprocess

import pytest

from ena_testpmd_run import compare_shapes, eal_args, run_batch, run_ena_testpmd
from test_pcap_wire import ipv4_checksum, tshark_frames, write_pcap
from testpmd_harness import fwd_stats, isolated_eal_args, nic_stats, port_info, run_testpmd, staged_plugins

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
ALLOWANCES = ("bw_in_allowance_exceeded", "bw_out_allowance_exceeded", "pps_allowance_exceeded",
              "conntrack_allowance_exceeded", "linklocal_allowance_exceeded", "conntrack_allowance_available")


def two_ports(wire, *extra):
    return [f"--vdev=net_ena_sim{i},mac={mac},wire=vpc:{wire}" + "".join("," + e for e in extra)
            for i, mac in enumerate(MACS)]


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


# --- The same script in both programs -----------------------------------------------------------

SCRIPT = [
    "show port info 0",
    "show port info all",
    "show port summary all",
    "show config fwd",
    "set fwd io",
    "start tx_first",
    "sleep 1",
    "stop",
    "show port stats 0",
    "show port stats all",
    "show port xstats 0",
    "clear port stats 0",
    "clear port xstats all",
    "show port stats 0",
    "set burst 64",
    "set txpkts 64",
    "set fwd txonly",
    "start",
    "sleep 0.5",
    "stop",
    "set fwd macswap",
    "start tx_first 2",
    "sleep 0.5",
    "stop",
    "set fwd rxonly",
    "show config fwd",
    "port stop all",
    "port config mtu 0 1400",
    "port config all rxd 512",
    "port config all txd 256",
    "port start all",
    "show port info 0",
    "port stop 0",
    "port reset 0",
    "port start 0",
    "set fwd icmpecho",
    "show config fwd",
    "set fwd mac",
    "show config fwd",
    "foo",
    "show port info 9",
    "set fwd nosuchmode",
    "port config mtu 0 10",
    "port stop 1",
    "port close 1",
    "show port info all",
]

# Two queues per port on two forwarding lcores (two lcores share a CPU on small machines).
MULTI_QUEUE_SCRIPT = ["show config fwd", "start tx_first", "sleep 1", "stop", "show port xstats 1"]


def compare_runs(plugin_dir, vdevs, script, app_args, lcores=None):
    extra = [f"--lcores={lcores}"] if lcores else []
    ours = run_ena_testpmd(eal_args(*extra, *vdevs), script, app_args=app_args, timeout=120)
    theirs = run_testpmd(isolated_eal_args(plugin_dir, *extra, *vdevs), script, app_args=app_args, timeout=120)
    assert ours.returncode == 0, ours.output
    assert theirs.returncode == 0, theirs.output
    # Both replied to the same commands, in the same order (start-up first, quit last).
    assert [c for c, _ in ours.replies] == [c for c, _ in theirs.replies], (ours.output, theirs.output)
    differences = [compare_shapes(a, b, f"reply to {cmd or '(start-up)'!r}")
                   for (cmd, a), (_, b) in zip(ours.replies, theirs.replies)]
    differences = [d for d in differences if d]
    assert not differences, "\n".join(differences) + "\n--- ena-testpmd:\n" + ours.output + \
        "\n--- dpdk-testpmd:\n" + theirs.output
    return ours, theirs


def test_a_testpmd_script_gives_the_same_sections_fields_and_lines_as_dpdk_testpmd(plugin_dir):
    ours, theirs = compare_runs(plugin_dir, two_ports("cmp"), SCRIPT, ["--total-num-mbufs=8192"])
    # Not an empty comparison: the replies hold the sections a user reads, and traffic ran.
    for run in (ours, theirs):
        assert "Infos for port 0" in run.reply("show port info 0"), run.output
        stop = fwd_stats(run.reply("stop"))
        assert stop[0]["RX-packets"] > 0 and stop[1]["TX-packets"] > 0, run.output
        assert "Accumulated forward statistics for all ports" in run.reply("stop"), run.output
        assert port_info(run.reply("show port info 0", 1))["MTU"] == "1400", run.output
        assert "Command not found" in run.reply("foo"), run.output
        assert "Bye..." in run.reply("quit"), run.output


def test_two_queues_on_two_lcores_are_laid_out_and_counted_as_dpdk_testpmd_does(plugin_dir):
    ours, theirs = compare_runs(plugin_dir, two_ports("mq", "queues=2"), MULTI_QUEUE_SCRIPT,
                                ["--total-num-mbufs=8192", "--rxq=2", "--txq=2", "--nb-cores=2"],
                                lcores="0@0,1@1,2@1")
    for run in (ours, theirs):
        config = run.reply("show config fwd")
        assert "ports=2 - cores=2 - streams=4" in config, run.output
        assert "Logical Core 2 (socket 0) forwards packets on 2 streams" in config, run.output
        # More streams than ports: a block per stream that moved packets before the port blocks.
        assert "Forward Stats for RX Port= 0/Queue= 1 -> TX Port= 1/Queue= 1" in run.reply("stop"), run.output


# --- Scripts ---------------------------------------------------------------------------------------

def test_a_cmdline_file_without_interactive_mode_runs_and_exits(tmp_path):
    script = tmp_path / "session.cmd"
    script.write_text("show port info 0\nset fwd rxonly\nstart\nstop\nshow port stats 0\n")
    rc, out = run_batch(eal_args(*two_ports("file")), ["--total-num-mbufs=8192", f"--cmdline-file={script}"],
                        timeout=60)
    assert rc == 0, out
    positions = [out.find(text) for text in (f"CLI commands to be read from {script}", "Infos for port 0",
                                             "Set rxonly packet forwarding mode", "Forward statistics for port 0",
                                             "NIC statistics for port 0", f"Read CLI commands from {script}",
                                             "Bye...")]
    assert -1 not in positions and positions == sorted(positions), out
    assert "Press enter to exit" not in out, out  # it did not wait for a user


def test_an_interactive_session_whose_cmdline_file_ends_in_quit_exits_without_a_prompt(tmp_path):
    script = tmp_path / "quit.cmd"
    script.write_text("show port summary all\nquit\n")
    # stdin stays open: a prompt would wait for it until the timeout.
    rc, out = run_batch(eal_args(*two_ports("quit")), ["-i", "--total-num-mbufs=8192", f"--cmdline-file={script}"],
                        timeout=40, stdin=subprocess.PIPE)
    assert rc == 0, out
    assert "Number of available ports: 2" in out and "Bye..." in out, out


def periodic_blocks(out):
    return [nic_stats(block) for block in out.split("Port statistics ====")[1:]]


def test_stats_period_prints_the_port_statistics_every_period_while_traffic_runs():
    def three_periods_seen(out):
        blocks = out.split("Port statistics ====")
        return len(blocks) > 4  # the third block is whole once the fourth begins

    rc, out = run_batch(eal_args(*two_ports("period")),
                        ["--total-num-mbufs=8192", "--stats-period=1", "--forward-mode=txonly",
                         f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"],
                        timeout=60, until=three_periods_seen, stop_signal=signal.SIGINT)
    assert rc == 0, out
    assert "No commandline core given, start packet forwarding" in out, out
    blocks = periodic_blocks(out)
    assert len(blocks) >= 3, out
    # Each block has both ports; what txonly sends keeps growing from one period to the next.
    sent = [b[0]["TX-packets"] for b in blocks[:3]]
    assert all(set(b) == {0, 1} for b in blocks[:3]), out
    assert sent[0] < sent[1] < sent[2], f"TX-packets per period {sent}\n{out}"
    # Port 0's packets reached port 1's device: txonly never takes them from the ring, so once it
    # is full they are RX-missed (RX-packets counts what the application received).
    assert blocks[2][1]["RX-missed"] > 0, out
    assert "Accumulated forward statistics for all ports" in out and "Bye..." in out, out


# --- Engines that change frames, checked byte for byte through the pcap wire -----------------------

PORT_MAC = bytes.fromhex("0200c6120003")
PEER_MAC = bytes.fromhex("0200c6120001")
PORT_IP, PEER_IP = bytes([198, 18, 0, 2]), bytes([198, 18, 0, 1])


def udp_frame(index, length):
    udp_len = length - 14 - 20
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, index, 0, 64, 17, 0, PEER_IP, PORT_IP)
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    payload = bytes((index + k) & 0xFF for k in range(udp_len - 8))
    return PORT_MAC + PEER_MAC + b"\x08\x00" + ip + struct.pack("!HHHH", 1000 + index, 9, udp_len, 0) + payload


def arp_request(target_ip):
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC, PEER_IP, bytes(6), target_ip)
    return b"\xff" * 6 + PEER_MAC + b"\x08\x06" + arp


def echo_request(seq, payload_len):
    payload = bytes((seq * 7 + k) & 0xFF for k in range(payload_len))
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", ipv4_checksum(icmp + (b"\0" if len(icmp) % 2 else b""))) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0x4000, 64, 1, 0, PEER_IP, PORT_IP)
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    return PORT_MAC + PEER_MAC + b"\x08\x00" + ip + icmp


def forward_capture(tmp_path, mode, frames):
    rx_file, tx_file = tmp_path / "in.pcap", tmp_path / "out.pcap"
    write_pcap(rx_file, frames)
    mac = ":".join(f"{b:02x}" for b in PORT_MAC)
    run = run_ena_testpmd(eal_args(f"--vdev=net_ena_sim0,mac={mac},wire=[pcap:rx={rx_file},tx={tx_file}]"),
                          [f"set fwd {mode}", "start", "sleep 2", "stop", "show port stats 0"],
                          app_args=["--total-num-mbufs=8192", "--no-flush-rx"], timeout=60)
    assert run.returncode == 0, run.output
    return run, tshark_frames(tx_file)


def test_macswap_sends_every_frame_back_with_the_mac_addresses_exchanged(tmp_path):
    frames = [udp_frame(i, 60 + (i * 37) % 1400) for i in range(300)]
    run, sent = forward_capture(tmp_path, "macswap", frames)
    nic = nic_stats(run.reply("show port stats 0"))[0]
    assert (nic["RX-packets"], nic["TX-packets"]) == (300, 300), run.output
    assert nic["RX-bytes"] == nic["TX-bytes"] == sum(map(len, frames)), run.output
    expected = [f[6:12] + f[0:6] + f[12:] for f in frames]
    assert len(sent) == len(expected), run.output
    wrong = [i for i, (got, want) in enumerate(zip(sent, expected)) if got != want]
    assert not wrong, f"frame #{wrong[0]}: {sent[wrong[0]].hex()} != {expected[wrong[0]].hex()}"


def test_icmpecho_answers_arp_and_echo_requests_and_nothing_else(tmp_path):
    requests = [echo_request(seq, 8 + seq * 13 % 1000) for seq in range(50)]
    frames = [arp_request(PORT_IP)] + requests + [udp_frame(i, 100) for i in range(10)]
    run, sent = forward_capture(tmp_path, "icmpecho", frames)
    nic = nic_stats(run.reply("show port stats 0"))[0]
    assert (nic["RX-packets"], nic["TX-packets"]) == (61, 51), run.output
    assert len(sent) == 51, run.output

    arp = sent[0]
    assert arp[0:6] == PEER_MAC and arp[6:12] == PORT_MAC and arp[12:14] == b"\x08\x06", arp.hex()
    hw, proto, hlen, plen, op, sha, spa, tha, tpa = struct.unpack("!HHBBH6s4s6s4s", arp[14:42])
    assert (hw, proto, hlen, plen, op) == (1, 0x0800, 6, 4, 2), arp.hex()
    assert (sha, spa, tha, tpa) == (PORT_MAC, PORT_IP, PEER_MAC, PEER_IP), arp.hex()

    for request, reply in zip(requests, sent[1:]):
        assert reply[0:6] == PEER_MAC and reply[6:12] == PORT_MAC, reply.hex()
        ip, icmp = reply[14:34], reply[34:]
        assert ip[12:16] == PORT_IP and ip[16:20] == PEER_IP, reply.hex()
        assert ipv4_checksum(ip) == 0, reply.hex()  # a valid header sums to 0xFFFF
        assert icmp[0:2] == b"\x00\x00", reply.hex()  # echo reply, code 0
        assert ipv4_checksum(icmp + (b"\0" if len(icmp) % 2 else b"")) == 0, reply.hex()
        assert icmp[4:] == request[38:] and ip[:12] == request[14:26], reply.hex()  # id, seq, data, rest of IP


# --- Simulator commands, LSC events, ENA views -----------------------------------------------------

def test_sim_link_raises_the_link_state_change_event_and_port_info_follows_the_link():
    run = run_ena_testpmd(eal_args(*two_ports("lsc"), "--vdev=net_null0"),
                          ["sim link 0 down", "sleep 1.5", "show port info 0", "sim link 0 up", "sleep 1.5",
                           "show port info 0", "sim link 2 down", "sim stats 0",
                           "sim fault 0 too_many_rx_descs 2", "sim fault 0 bad_tx_req_id forever", "sim stats 0",
                           "sim fault 0 too_many_rx_descs 0", "sim fault 0 bad_tx_req_id 0", "sim stats 0"],
                          timeout=60)
    assert run.returncode == 0, run.output
    assert run.output.count("Port 0: link state change event") == 2, run.output
    assert port_info(run.reply("show port info 0", 0))["Link status"] == "down", run.output
    assert port_info(run.reply("show port info 0", 1))["Link status"] == "up", run.output
    assert "Port 2 is not a simulated ENA port" in run.reply("sim link 2 down"), run.output
    assert "Port 2: link state change event" not in run.output, run.output
    assert re.search(r"^\s+link: up$", run.reply("sim stats 0"), re.M), run.output
    assert re.search(r"^\s+keep_alives_sent\s+[1-9]\d*$", run.reply("sim stats 0"), re.M), run.output
    # Faults armed are pending in the device (no traffic runs to consume them), and cleared.
    assert "armed for the next 2 occurrence(s)" in run.reply("sim fault 0 too_many_rx_descs 2"), run.output
    assert "armed until cleared" in run.reply("sim fault 0 bad_tx_req_id forever"), run.output
    armed = run.reply("sim stats 0", 1)
    assert re.search(r"^\s+fault too_many_rx_descs\s+2 pending$", armed, re.M), armed
    assert re.search(r"^\s+fault bad_tx_req_id\s+pending until cleared$", armed, re.M), armed
    assert "Port 0: fault too_many_rx_descs cleared" in run.reply("sim fault 0 too_many_rx_descs 0"), run.output
    assert "fault " not in run.reply("sim stats 0", 2).replace("sim stats", ""), run.output
    assert "fault " not in run.reply("sim stats 0", 0).replace("sim stats", ""), run.output


def test_sim_fault_takes_the_new_kinds_their_argument_and_until_reset():
    # Link down: a flap waits for a link that is up, so the fault stays pending as armed.
    run = run_ena_testpmd(eal_args(*two_ports("kinds", "queues=2", "link=down")),
                          ["sim fault 0 tx_queue_stall:1", "sim fault 0 link_flap:250 3",
                           "sim fault 0 keepalive_stop until_reset", "sim fault 0 missing_tx_cmpl 5", "sim stats 0",
                           "sim fault 0 tx_queue_stall 0", "sim fault 0 link_flap 0", "sim fault 0 keep_alive_stop 0",
                           "sim fault 0 missing_tx_completion 0", "sim fault 0 reboot", "sim fault 0 fatal_error:2",
                           "sim stats 0"],
                          timeout=60)
    assert run.returncode == 0, run.output
    # A state without a count lasts until the next device reset; a counted fault that many times.
    assert "Port 0: fault tx_queue_stall (Tx queue 1) armed until the next device reset" in \
        run.reply("sim fault 0 tx_queue_stall:1"), run.output
    assert "Port 0: fault link_flap (link down for 250 ms) armed for the next 3 occurrence(s)" in \
        run.reply("sim fault 0 link_flap:250 3"), run.output
    # The faults= devarg's names work too.
    assert "fault keep_alive_stop armed until the next device reset" in \
        run.reply("sim fault 0 keepalive_stop until_reset"), run.output
    assert "fault missing_tx_completion armed for the next 5 occurrence(s)" in \
        run.reply("sim fault 0 missing_tx_cmpl 5"), run.output
    armed = run.reply("sim stats 0", 0)
    assert re.search(r"^\s+fault tx_queue_stall\s+pending until the next device reset \(Tx queue 1\)$", armed, re.M), armed
    assert re.search(r"^\s+fault link_flap\s+3 pending \(link down for 250 ms\)$", armed, re.M), armed
    assert re.search(r"^\s+fault keep_alive_stop\s+pending until the next device reset$", armed, re.M), armed
    assert re.search(r"^\s+fault missing_tx_completion\s+5 pending$", armed, re.M), armed
    assert "Unknown fault kind reboot (accepted: " in run.reply("sim fault 0 reboot"), run.output
    assert "Bad fault parameter fatal_error:2" in run.reply("sim fault 0 fatal_error:2"), run.output
    assert "fault " not in run.reply("sim stats 0", 1).replace("sim stats", ""), run.output


def test_a_device_reset_request_is_recovered_by_auto_reset_and_forwarding_goes_on():
    macs = [f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"]
    run = run_ena_testpmd(eal_args(*two_ports("autoreset")),
                          ["set fwd txonly", "start", "sleep 1", "sim fault 0 device_reset_request", "sleep 3",
                           "show port stats 0", "sleep 1", "show port stats 0", "stop", "show port xstats 0"],
                          app_args=["--total-num-mbufs=8192", "--auto-reset", *macs], timeout=60)
    assert run.returncode == 0, run.output
    assert "armed for the next 1 occurrence(s)" in run.reply("sim fault 0 device_reset_request"), run.output
    assert run.output.count("Port 0: reset event") == 1, run.output
    assert "Port 1: reset event" not in run.output, run.output
    assert "Port 0: auto-reset done, forwarding restarted" in run.output, run.output
    xs = {name: int(value) for name, value in re.findall(r"^(\w+): (\d+)$", run.reply("show port xstats 0"), re.M)}
    assert xs["reset_device_request"] == 1 and xs["reset_total"] == 1, run.output
    first, second = (nic_stats(run.reply("show port stats 0", n))[0]["TX-packets"] for n in (0, 1))
    assert second > first, f"port 0 does not send after its reset: {first} then {second}\n{run.output}"


def allowance_rows(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\s+(\w+)\s+(\d+)\s+([+-]?\d+)\b", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        m = re.match(r"^\s+(\w+)\s+not reported by this device$", line)
        if m:
            rows[m.group(1)] = None
    return rows


def test_show_port_allowance_reads_each_eni_allowance_and_says_what_is_hit():
    # A conntrack limit, so that the device reports the room left (without one it does not).
    run = run_ena_testpmd(eal_args(*two_ports("allow", "conntrack_max=100000"), "--vdev=net_null0"),
                          ["show port allowance 0", "sleep 0.5", "show port allowance 0", "show port xstats 0",
                           "show port allowance 2", "show port allowance 7"], timeout=60)
    assert run.returncode == 0, run.output
    first, second = run.reply("show port allowance 0", 0), run.reply("show port allowance 0", 1)
    for text, since in ((first, "since port start"), (second, "since previous show")):
        rows = allowance_rows(text)
        assert set(ALLOWANCES) <= set(rows), text
        assert all(rows[name] is not None for name in ALLOWANCES), text
        assert since in text, text
        assert re.search(r"^\s+Diagnosis: no allowance exceeded", text, re.M), text
    # The totals are the xstats of the same names.
    xstats = dict(re.findall(r"^(\w+): (\d+)$", run.reply("show port xstats 0"), re.M))
    rows = allowance_rows(second)
    assert {n: rows[n][0] for n in ALLOWANCES} == {n: int(xstats[n]) for n in ALLOWANCES}, (second, xstats)
    assert rows["conntrack_allowance_available"][0] > 0, second
    # A port whose driver has no ENI counters (net_null) gets every name, not reported.
    rows = allowance_rows(run.reply("show port allowance 2"))
    assert rows == {name: None for name in ALLOWANCES}, run.reply("show port allowance 2")
    assert "Invalid port 7" in run.reply("show port allowance 7"), run.output


def test_show_port_allowance_names_the_pps_allowance_a_sender_exceeds():
    # Port 0 sends as fast as it can into an ENI held to 20000 packets per second. Two seconds
    # between the shows: the counters come from the once-a-second snapshot, and on a loaded
    # machine one second may see no refresh (the second show then said 0/s).
    run = run_ena_testpmd(eal_args(*two_ports("allow-pps", "pps=20000")),
                          ["set portlist 0", "set fwd txonly", "start", "sleep 1", "show port allowance 0", "sleep 2",
                           "show port allowance 0", "stop"],
                          app_args=["--total-num-mbufs=8192", f"--eth-peer=0,{MACS[1]}"], timeout=60)
    assert run.returncode == 0, run.output
    text = run.reply("show port allowance 0", 1)
    rows = allowance_rows(text)
    total, per_second = rows["pps_allowance_exceeded"]
    assert total > 0 and per_second > 1000, text
    assert "packets per second allowance exceeded (pps_allowance_exceeded" in text, text
    for other in ("bw_in_allowance_exceeded", "bw_out_allowance_exceeded", "conntrack_allowance_exceeded",
                  "linklocal_allowance_exceeded"):
        assert rows[other] == (0, 0), (other, text)
    print(f"pps=20000: pps_allowance_exceeded {total} in all, {per_second}/s in the two seconds after the first show")


@pytest.mark.parametrize("devargs, entry, header", [("", 256, 224), ("llq=normal", 128, 96), ("llq=none", None, None)])
def test_show_port_llq_shows_the_tx_placement_and_the_rings_the_port_uses(devargs, entry, header):
    vdev = "--vdev=net_ena_sim0,mac=02:00:00:00:00:01" + (f",{devargs}" if devargs else "")
    run = run_ena_testpmd(eal_args(vdev), ["show port llq 0", "show port info 0", "show config rxtx"],
                          app_args=["--total-num-mbufs=8192", "--rxd=2048", "--txd=256"], timeout=60)
    assert run.returncode == 0, run.output
    llq, info = run.reply("show port llq 0"), port_info(run.reply("show port info 0"))
    if entry:
        assert re.search(r"^\s+Tx placement: LLQ \(", llq, re.M), llq
        assert f"LLQ entry size: {entry} bytes" in llq and f"LLQ header room: {header} bytes" in llq, llq
    else:
        assert re.search(r"^\s+Tx placement: host memory", llq, re.M), llq
        assert "LLQ entry size: none" in llq, llq
    assert re.search(r"^\s+Tx burst budget: \S", llq, re.M), llq
    assert f"max {info['Max possible number of TXDs per queue']}, align {info['TXDs number alignment']}" in llq, llq
    assert f"max {info['Max possible number of RXDs per queue']}, align {info['RXDs number alignment']}" in llq, llq
    assert re.search(r"^\s+Tx queue 0: 256 descriptors", llq, re.M), llq
    assert re.search(r"^\s+Rx queue 0: 2048 descriptors", llq, re.M), llq


def answer(run, command):
    """What the program printed after the echo of the command line."""
    echo, _, rest = run.reply(command).partition("\n")
    assert echo.strip() == command, run.output
    return rest.strip()


def test_a_bad_command_gets_testpmds_error_and_the_prompt_goes_on():
    run = run_ena_testpmd(eal_args(*two_ports("bad")),
                          ["foo", "show port info 99", "set fwd nosuchmode", "port config mtu 0 10",
                           "port reset 0", "stop", "show port info 0"], timeout=60)
    assert run.returncode == 0, run.output
    assert answer(run, "foo") == "Command not found", run.output
    assert answer(run, "show port info 99").split("\n") == ["Invalid port 99", "The valid ports array is [ 0 1 ]"]
    assert answer(run, "set fwd nosuchmode") == "Bad arguments", run.output
    assert "MTU (10) < device min MTU" in run.reply("port config mtu 0 10"), run.output
    assert "Can not reset port(s), please stop port(s) first." in run.reply("port reset 0"), run.output
    assert "Packet forwarding not started" in run.reply("stop"), run.output
    assert port_info(run.reply("show port info 0"))["Link status"] == "up", run.output  # still going
    assert "Bye..." in run.reply("quit"), run.output
