#!/usr/bin/env bash
# Prepares a Debian 12 machine for ena-ng and builds it: installs the Debian packages it needs,
# fetches the DPDK driver SDK headers that Debian's libdpdk-dev lacks (from the dpdk source
# package of exactly the installed version) into build-deps/dpdk-sdk, then configures and builds
# build/. Run as root. Safe to re-run; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

# Runs a noisy command with its output in a log; shows the log's end only when it fails.
LOG_DIR=build-deps/logs
quietly() {
	local name=$1; shift
	mkdir -p "$LOG_DIR"
	if ! "$@" >"$LOG_DIR/$name.log" 2>&1; then
		tail -n 25 "$LOG_DIR/$name.log" | sed 's/^/    | /' >&2
		printf 'setup: %s failed (full log: %s)\n' "$*" "$LOG_DIR/$name.log" >&2
		return 1
	fi
}

PACKAGES=(
	dpdk libdpdk-dev dpdk-dev
	meson ninja-build g++ pkg-config
	python3 python3-pyelftools python3-pytest python3-pexpect python3-matplotlib python3-sphinx
	googletest libgtest-dev
	dpkg-dev git
	iproute2 iputils-ping tcpdump tshark libpcap-dev
	linux-perf valgrind procps
	# The fuzz targets (run-tests.sh stage fuzz): clang, its libFuzzer and sanitizer runtimes,
	# llvm-symbolizer for their reports. g++'s ASan/UBSan/TSan runtimes come with g++.
	clang-14 libclang-rt-14-dev llvm-14
)
SDK_HEADERS=(
	lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_pci.h lib/ethdev/ethdev_vdev.h
	drivers/bus/pci/bus_pci_driver.h drivers/bus/vdev/bus_vdev_driver.h
	lib/eal/include/bus_driver.h lib/eal/include/dev_driver.h
)
SDK_DIR=build-deps/dpdk-sdk
SRC_DIR=build-deps/dpdk-src
BUILD_DIR=build

[[ $(id -u) -eq 0 ]] || die "run as root: it installs Debian packages"
[[ -r /etc/os-release ]] && . /etc/os-release
[[ ${ID:-} == debian ]] || die "this script is for Debian 12 (bookworm); found ${PRETTY_NAME:-an unknown system}"
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update() {
	step "apt-get update"
	quietly apt-update apt-get update || die "apt-get update failed (are Debian's mirrors reachable?)"
	apt_updated=1
}

# --- 1. Debian packages ----------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	step "installing ${#missing[@]} Debian packages: ${missing[*]}"
	apt_update
	# tshark asks whether non-root users may capture; answer it so the install never blocks.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
	quietly apt-install apt-get install -y --no-install-recommends "${missing[@]}" \
		|| die "apt-get install failed for: ${missing[*]}"
else
	step "Debian packages already installed"
fi

# --- 2. DPDK driver SDK headers ----------------------------------------------------------------
dpdk_version=$(pkg-config --modversion libdpdk) || die "pkg-config cannot find libdpdk"
src_pkg=$(dpkg-query -W -f='${source:Package}' libdpdk-dev)
src_version=$(dpkg-query -W -f='${source:Version}' libdpdk-dev)
stamp="$src_pkg $src_version"

sdk_complete() {
	[[ -f $SDK_DIR/VERSION && $(<"$SDK_DIR/VERSION") == "$dpdk_version" ]] || return 1
	[[ -f $SDK_DIR/SOURCE && $(<"$SDK_DIR/SOURCE") == "$stamp" ]] || return 1
	local h
	for h in "${SDK_HEADERS[@]}"; do [[ -f $SDK_DIR/include/${h##*/} ]] || return 1; done
}

# Adds deb-src entries mirroring the configured Debian 'deb' entries of this release (none for
# third-party repositories). Prints the file it wrote, or nothing when none was needed.
add_deb_src() {
	/usr/bin/python3 - "${VERSION_CODENAME:?}" <<'PY'
import glob, re, sys
codename = sys.argv[1]
out_path = "/etc/apt/sources.list.d/ena-ng-deb-src.sources"

DEBIAN_COMPONENTS = {"main", "contrib", "non-free", "non-free-firmware"}

def is_debian(uri, suite, comps, signed_by):
    host, _, path = re.sub(r"^[a-z+]+://", "", uri).rstrip("/").partition("/")
    if not suite.startswith(codename) or not set(comps) <= DEBIAN_COMPONENTS:
        return False
    if host.endswith("debian.org"):
        return True
    if signed_by:
        return "debian-archive-keyring" in signed_by
    return path.rsplit("/", 1)[-1] in ("debian", "debian-security")  # a local Debian mirror

entries = []  # (type, uri, suite, components, signed_by)
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)", line)
        if m:
            opts = dict(o.split("=", 1) for o in (m.group(2) or "").split() if "=" in o)
            entries.append((m.group(1), m.group(3), m.group(4), m.group(5).split(), opts.get("signed-by", "")))
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for t in fields.get("types", "").split():
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    entries.append((t, uri, suite, fields.get("components", "").split(), fields.get("signed-by", "")))

have_src = {(u.rstrip("/"), s) for t, u, s, _, _ in entries if t == "deb-src"}
wanted = []
for t, uri, suite, comps, signed_by in entries:
    if t == "deb" and is_debian(uri, suite, comps, signed_by) and (uri.rstrip("/"), suite) not in have_src:
        have_src.add((uri.rstrip("/"), suite))
        wanted.append((uri, suite, comps or ["main"], signed_by))
if wanted:
    with open(out_path, "w") as out:
        out.write("# Written by ena-ng devtools/setup.sh: sources of Debian's dpdk package (SDK headers).\n")
        for uri, suite, comps, signed_by in wanted:
            out.write(f"\nTypes: deb-src\nURIs: {uri}\nSuites: {suite}\nComponents: {' '.join(comps)}\n")
            if signed_by and "\n" not in signed_by:
                out.write(f"Signed-By: {signed_by}\n")
    print(out_path)
PY
}

fetch_source() {
	(cd "$SRC_DIR" && apt-get -o APT::Sandbox::User=root source "$src_pkg=$src_version")
}

if sdk_complete; then
	step "DPDK $dpdk_version driver SDK headers already in $SDK_DIR"
elif printf '#include <ethdev_driver.h>\n' | g++ -std=c++20 -fsyntax-only $(pkg-config --cflags libdpdk) -x c++ - 2>/dev/null; then
	step "installed libdpdk ships the driver SDK headers; nothing to fetch"
else
	step "fetching the $src_pkg $src_version source package for the DPDK driver SDK headers"
	written=$(add_deb_src) || die "could not add deb-src entries to the apt sources"
	if [[ -n $written ]]; then
		step "added deb-src entries in $written"
		apt_update
	fi
	rm -rf "$SRC_DIR" && mkdir -p "$SRC_DIR"
	# A stale package list is the usual reason for a miss: refresh once and retry.
	if ! quietly apt-source fetch_source; then
		if ((apt_updated)) || ! { apt_update && quietly apt-source fetch_source; }; then
			die "apt-get source $src_pkg=$src_version failed. If a newer dpdk is in the archive, upgrade to it (apt-get install --only-upgrade dpdk libdpdk-dev dpdk-dev) and re-run; or build with -Ddpdk_sdk=<DPDK $dpdk_version source tree>"
		fi
	fi
	tree=$(find "$SRC_DIR" -mindepth 2 -maxdepth 2 -name VERSION -printf '%h\n' | head -n 1)
	[[ -n $tree ]] || die "no unpacked source tree found in $SRC_DIR"
	rm -rf "$SDK_DIR" && mkdir -p "$SDK_DIR/include"
	for h in "${SDK_HEADERS[@]}"; do
		cp "$tree/$h" "$SDK_DIR/include/" || die "$h missing from the $src_pkg source package"
	done
	cp "$tree/VERSION" "$SDK_DIR/VERSION"
	echo "$stamp" >"$SDK_DIR/SOURCE"
	[[ $(<"$SDK_DIR/VERSION") == "$dpdk_version" ]] \
		|| die "source package VERSION $(<"$SDK_DIR/VERSION") differs from libdpdk $dpdk_version"
	step "SDK headers of DPDK $dpdk_version in $SDK_DIR (full source for reading: $tree)"
fi

# --- 3. Hugepages --------------------------------------------------------------------------------
# A secondary DPDK process (dpdk-proc-info, the multi-process tests) attaches to its primary
# through hugepage memory; everything else runs with --no-huge. Not fatal: without hugepages
# those tests are skipped, and the rest works.
HUGEPAGES=${ENA_NG_HUGEPAGES:-512}  # 2 MiB pages
hp_dir=/sys/kernel/mm/hugepages/hugepages-2048kB
if [[ -w $hp_dir/nr_hugepages ]]; then
	if (($(<"$hp_dir/nr_hugepages") < HUGEPAGES)); then
		echo "$HUGEPAGES" >"$hp_dir/nr_hugepages" 2>/dev/null || true
	fi
	if ! grep -qs ' hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	fi
	step "hugepages: $(<"$hp_dir/nr_hugepages") x 2 MiB reserved, hugetlbfs $(grep -qs ' hugetlbfs ' /proc/mounts && echo mounted || echo 'not mounted')"
else
	step "hugepages: cannot be configured here ($hp_dir not writable); multi-process tests will be skipped"
fi

# --- 4. Configure and build ----------------------------------------------------------------------
if [[ -f $BUILD_DIR/meson-private/coredata.dat ]]; then
	step "meson setup --reconfigure $BUILD_DIR"
	quietly meson-setup meson setup --reconfigure "$BUILD_DIR" || die "meson setup failed"
else
	step "meson setup $BUILD_DIR"
	quietly meson-setup meson setup "$BUILD_DIR" || die "meson setup failed"
fi
step "ninja -C $BUILD_DIR"
quietly ninja ninja -C "$BUILD_DIR" || die "build failed"
step "done: plugins in $BUILD_DIR/drivers/ ($(cd "$BUILD_DIR/drivers" && echo *.so))"
