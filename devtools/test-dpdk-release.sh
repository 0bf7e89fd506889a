#!/usr/bin/env bash
# Builds and tests ena-ng against a DPDK release built from source (23.11 and 24.11 are supported
# besides Debian's 22.11 packages, which devtools/run-tests.sh uses):
#
#     bash devtools/test-dpdk-release.sh [--rebuild-dpdk] /path/to/dpdk-24.11.x
#
# 1. A minimal shared DPDK (the buses, mempool/ring, net/null, net/ring, net/memif, dpdk-testpmd,
#    dpdk-proc-info, the driver SDK headers) is built from the source tree into a private prefix
#    cached by version: $ENA_NG_DPDK_CACHE/<version>/prefix (default ~/.cache/ena-ng/dpdk).
#    A later run with the same version and options reuses it; --rebuild-dpdk builds it again.
# 2. ena-ng is built against it in build-dpdk-<version>/ (-Werror, as always).
# 3. Every test runs (devtools/run-tests.sh on that build): the integration tests drive that
#    release's own dpdk-testpmd and dpdk-proc-info. Ends with "N passed, N failed"; exits 1 if
#    anything failed or did not build.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { echo "usage: $0 [--rebuild-dpdk] DPDK_SOURCE_TREE" >&2; exit 2; }
rebuild=0
src=
for arg in "$@"; do
	case $arg in
	--rebuild-dpdk) rebuild=1 ;;
	-h | --help) usage ;;
	-*) echo "test-dpdk-release: unknown option $arg" >&2; usage ;;
	*) [[ -z $src ]] || usage; src=$arg ;;
	esac
done
[[ -n $src ]] || usage
fail() { echo "test-dpdk-release: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# Debian's python3 is the one with pyelftools (DPDK's and our PMD info need it); the first
# python3 on PATH may be another one.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

src=$(cd "$src" 2>/dev/null && pwd) || fail "no such folder: $src"
[[ -f $src/VERSION && -f $src/meson.build && -f $src/lib/ethdev/rte_ethdev.h ]] ||
	fail "$src is not a DPDK source tree (no VERSION, meson.build, lib/ethdev/rte_ethdev.h)"
version=$(<"$src/VERSION")
# The libraries dpdk-proc-info needs (with what they need); every other optional one is left
# out. Listing them in enable_libs is what keeps the build small: disable_libs='*' would win
# over enable_libs and drop proc-info. timer is optional since 24.11 and mandatory before.
case $version in
23.11.* | 24.11.*) libs=cryptodev,security,dmadev,eventdev,timer ;;
22.11.*) fail "DPDK $version: use Debian's packages (devtools/setup.sh, then devtools/run-tests.sh)" ;;
*) fail "DPDK $version is not a release ena-ng supports (22.11 from Debian; 23.11.x, 24.11.x from source)" ;;
esac
dpdk_options=(
	-Ddefault_library=shared -Dplatform=generic
	-Denable_drivers=bus/pci,bus/vdev,mempool/ring,net/null,net/ring,net/memif
	-Denable_apps=test-pmd,proc-info -Denable_libs=$libs -Denable_driver_sdk=true
	-Dtests=false -Denable_docs=false -Dexamples= -Denable_kmods=false
)

cache=${ENA_NG_DPDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ena-ng/dpdk}
dpdk_dir=$cache/$version
prefix=$dpdk_dir/prefix
stamp=$dpdk_dir/stamp
wanted="$version ${dpdk_options[*]}"
mkdir -p "$cache" && chmod 0700 "$cache" || fail "cannot create $cache"

if ((rebuild == 0)) && [[ -f $stamp && $(<"$stamp") == "$wanted" && -f $prefix/lib/pkgconfig/libdpdk.pc ]]; then
	echo "==> test-dpdk-release: DPDK $version cached in $prefix"
	dpdk_s=0
else
	echo "==> test-dpdk-release: building DPDK $version from $src into $prefix"
	rm -rf "$dpdk_dir" && mkdir -p "$dpdk_dir"
	start=$SECONDS
	{
		meson setup "${dpdk_options[@]}" --prefix="$prefix" --libdir=lib "$dpdk_dir/build" "$src" &&
			ninja -C "$dpdk_dir/build" && ninja -C "$dpdk_dir/build" install
	} >"$dpdk_dir/build.log" 2>&1 || { tail -n 30 "$dpdk_dir/build.log"; fail "DPDK $version did not build (log: $dpdk_dir/build.log)"; }
	dpdk_s=$((SECONDS - start))
	rm -rf "$dpdk_dir/build"  # the prefix is all that is used
	echo "$wanted" >"$stamp"
	echo "==> test-dpdk-release: DPDK $version built in $dpdk_s s"
fi

build=build-dpdk-$version
start=$SECONDS
if [[ ! -f $build/build.ninja ]]; then
	meson setup "$build" -Dpkg_config_path="$prefix/lib/pkgconfig" || fail "meson setup $build failed"
fi
ninja -C "$build" || fail "ena-ng did not build against DPDK $version"
build_s=$((SECONDS - start))
echo "==> test-dpdk-release: ena-ng built against DPDK $version in $build_s s"

start=$SECONDS
BUILD_DIR=$build bash devtools/run-tests.sh normal | tee "$build/test-dpdk-release.log"
status=${PIPESTATUS[0]}
echo "==> test-dpdk-release: DPDK $version: DPDK build ${dpdk_s} s (0: cached), ena-ng build $build_s s, tests $((SECONDS - start)) s"
tail -n 1 "$build/test-dpdk-release.log"
exit "$status"
