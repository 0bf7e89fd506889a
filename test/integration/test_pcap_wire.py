"""The pcap wire in the real dpdk-testpmd: wire=[pcap:rx=IN,tx=OUT].

A capture written here (classic pcap, Python) is replayed into a simulated port running io
forwarding; the port sends every frame back out, into the tx capture. The replay waits for Rx
buffers instead of dropping, so a capture several times the Rx ring arrives whole: testpmd
counts exactly the frames and bytes of the capture, nothing missed, and tshark reads the tx
capture back with the same frames, byte for byte, in order.
"""

import json
import random
import shutil
import struct
import subprocess
import zlib

import pytest

from testpmd_harness import fwd_stats, isolated_eal_args, nic_stats, run_testpmd, staged_plugins

PORT_MAC = bytes.fromhex("0200c6120003")
FRAMES = 3000  # about three times the Rx ring testpmd sets up (1024 descriptors)


def ipv4_checksum(header):
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(index, length):
    """An Ethernet frame of `length` bytes (42..1514) to the port: IPv4/UDP with a valid header
    checksum for even indexes, an experimental EtherType for odd ones; the payload carries the
    index and a pattern derived from it."""
    payload_seed = zlib.crc32(index.to_bytes(4, "big"))
    rng = random.Random(payload_seed)
    eth = PORT_MAC + bytes.fromhex("0200c6120001")
    if index % 2:
        body = index.to_bytes(4, "big") + bytes(rng.getrandbits(8) for _ in range(length - 18))
        return eth + b"\x88\xb5" + body
    udp_len = length - 14 - 20
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, index & 0xFFFF, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 3]))
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    data = index.to_bytes(4, "big") + bytes(rng.getrandbits(8) for _ in range(udp_len - 12))
    udp = struct.pack("!HHHH", 1024 + index % 1000, 9, udp_len, 0) + data  # UDP checksum 0: none
    return eth + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    """Classic pcap: little-endian, microsecond timestamps, link type 1 (Ethernet)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000 + i // 1000, (i % 1000) * 1000, len(data), len(data)))
            f.write(data)


def tshark_frames(path):
    """The frames of a capture as tshark reads them: [bytes] in capture order."""
    tshark = shutil.which("tshark")
    assert tshark, "tshark not on PATH (Debian package tshark)"
    done = subprocess.run([tshark, "-r", str(path), "-T", "json", "-x"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [bytes.fromhex(packet["_source"]["layers"]["frame_raw"][0]) for packet in json.loads(done.stdout)]


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


def test_a_replayed_capture_arrives_whole_and_io_forwarding_writes_it_back_byte_exact(plugin_dir, tmp_path):
    rng = random.Random(3)
    frames = [frame(i, rng.choice([42, 60, 64, 128, 512, 1000, 1514, rng.randint(42, 1514)])) for i in range(FRAMES)]
    rx_file, tx_file = tmp_path / "in.pcap", tmp_path / "out.pcap"
    write_pcap(rx_file, frames)
    total_bytes = sum(map(len, frames))

    mac = ":".join(f"{b:02x}" for b in PORT_MAC)
    vdev = f"--vdev=net_ena_sim0,mac={mac},wire=[pcap:rx={rx_file},tx={tx_file}]"
    run = run_testpmd(isolated_eal_args(plugin_dir, vdev),
                      # Frames come in as fast as Rx buffers do: testpmd must wait for Tx room
                      # (retry) rather than drop, and must not flush the Rx ring at start.
                      ["set flush_rx off", "set burst tx delay 100 retry 10000", "set fwd io retry",
                       "start", "sleep 3", "stop", "show port stats 0"],
                      app_args=["--total-num-mbufs=8192", "--rxd=1024"], timeout=60)
    assert run.returncode == 0, run.output

    # The forward statistics count Rx from 'start', but the device fills the posted Rx ring as
    # soon as the port starts: the port's counters (since port start) have every frame.
    fwd = fwd_stats(run.reply("stop"))[0]
    assert (fwd["TX-packets"], fwd["TX-dropped"], fwd["RX-dropped"]) == (FRAMES, 0, 0), run.output
    nic = nic_stats(run.reply("show port stats 0"))[0]
    assert (nic["RX-packets"], nic["RX-bytes"]) == (FRAMES, total_bytes), run.output
    assert (nic["TX-packets"], nic["TX-bytes"]) == (FRAMES, total_bytes), run.output
    assert nic["RX-missed"] == 0 and nic["RX-errors"] == 0, run.output

    written = tshark_frames(tx_file)
    assert len(written) == FRAMES, f"tshark read {len(written)} frames from {tx_file}"
    mismatched = [i for i, (got, want) in enumerate(zip(written, frames)) if got != want]
    assert not mismatched, f"{len(mismatched)} frames differ, first #{mismatched[0]}: " \
                           f"{written[mismatched[0]].hex()} != {frames[mismatched[0]].hex()}"
    print(f"replayed {FRAMES} frames / {total_bytes} bytes into port 0; tshark read them all back from the tx capture")


def test_a_capture_that_cannot_be_replayed_fails_the_probe_naming_the_devarg_and_the_reason(plugin_dir, tmp_path):
    pcapng = tmp_path / "new.pcapng"
    pcapng.write_bytes(struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28))
    run = run_testpmd(isolated_eal_args(plugin_dir, f"--vdev=net_ena_sim0,wire=[pcap:rx={pcapng}]"),
                      ["show port info all"], timeout=30)
    expected = (f"net_ena_sim0: invalid value 'pcap:rx={pcapng}' for devarg wire: rx capture {pcapng}: "
                "pcapng is not supported")
    assert expected in run.output, run.output
