// Driver unit tests: the net_ena_ng driver against the simulated device in synchronous mode,
// through the public ethdev API. EAL runs once for the binary, without hugepages and without
// shared files (--no-huge rules out --in-memory in DPDK 22.11; --no-shconf plus a per-process
// prefix gives the same isolation, so test binaries can run in parallel).
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <string>
#include <vector>

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    std::vector<std::string> args = {"driver_test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                                     "--file-prefix=ena_driver_test_" + std::to_string(getpid()),
                                     "--log-level=pmd.net.ena_ng.*:info"};
    std::vector<char*> eal_argv;
    for (std::string& a : args)
        eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "driver_test: EAL initialisation failed\n");
        return 1;
    }
    const int rc = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return rc;
}
