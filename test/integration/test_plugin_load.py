"""The built plugins load into the real dpdk-testpmd (that of the DPDK they were built against:
Debian's by default) and it runs and exits cleanly."""

import os

from testpmd_harness import isolated_eal_args, run_testpmd, staged_plugins


def test_testpmd_loads_both_plugins_and_quits_cleanly():
    with staged_plugins() as plugin_dir:
        run = run_testpmd(isolated_eal_args(plugin_dir, "--log-level=lib.eal:debug"),
                          ["show device info all"], timeout=60)
    assert run.returncode == 0, run.output
    for lib in ("librte_net_ena_ng.so", "librte_net_ena_sim.so"):
        # EAL logs every plugin it dlopen()s; a plugin that fails to load aborts EAL init instead.
        assert f"open shared lib {plugin_dir}/{lib}" in run.output, run.output
    assert "Bye..." in run.output, run.output


def test_testpmd_is_the_dpdk_release_built_against():
    # meson test says which release the plugins were built against; testpmd must be that one.
    version = os.environ.get("ENA_NG_DPDK_VERSION")
    with staged_plugins() as plugin_dir:
        run = run_testpmd(isolated_eal_args(plugin_dir, "-v"), [], timeout=60)
    assert run.returncode == 0, run.output
    if version:
        assert f"RTE Version: 'DPDK {version}'" in run.output, run.output


def test_staged_plugin_folder_is_private():
    with staged_plugins() as plugin_dir:
        assert plugin_dir.stat().st_mode & 0o777 == 0o700
        assert {p.name for p in plugin_dir.iterdir()} >= {"librte_net_ena_ng.so", "librte_net_ena_sim.so"}
        for p in [plugin_dir, *plugin_dir.parents]:
            assert not p.stat().st_mode & 0o002, f"{p} is world-writable: EAL would refuse -d {plugin_dir}"
    assert not plugin_dir.exists()
