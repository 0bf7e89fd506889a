// The PMD info string is what dpdk-pmdinfo.py (and the tools that pick kernel modules from it)
// see of a driver library. Its reader silently skips anything malformed, so check here what it
// needs: one "PMD_INFO_STRING= " string per driver, NUL-terminated printable ASCII, with the
// driver's name and its PCI ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kMarker = "PMD_INFO_STRING= ";

std::string library_path(const char *env_name)
{
	const char *path = std::getenv(env_name);
	return path != nullptr ? path : "";
}

std::vector<std::string> pmd_info_strings(const std::string &path)
{
	std::ifstream file(path, std::ios::binary);
	const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
	std::vector<std::string> found;
	for (auto pos = bytes.find(kMarker); pos != std::string::npos; pos = bytes.find(kMarker, pos + 1)) {
		const auto end = bytes.find('\0', pos);
		found.push_back(bytes.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
	}
	return found;
}

bool printable_ascii(const std::string &s)
{
	return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// One pci_ids entry as the generator writes it: [vendor, device, subsystem vendor, subsystem device].
std::string any_subsystem_pci_id(unsigned vendor, unsigned device)
{
	return "[" + std::to_string(vendor) + ", " + std::to_string(device) + ", 65535, 65535]";
}

TEST(PmdInfo, EnaNgLibraryDescribesThePciDriver)
{
	const auto path = library_path("ENA_NG_PMD_LIB");
	ASSERT_FALSE(path.empty()) << "ENA_NG_PMD_LIB is not set (run through meson test)";
	const auto infos = pmd_info_strings(path);
	ASSERT_EQ(infos.size(), 1u) << path;
	const auto &info = infos.front();
	EXPECT_TRUE(printable_ascii(info)) << info;
	EXPECT_NE(info.find("\"name\": \"net_ena_ng\""), std::string::npos) << info;
	for (unsigned device : {0xec20u, 0xec21u, 0x0ec2u, 0x1ec2u, 0x0051u})
		EXPECT_NE(info.find(any_subsystem_pci_id(0x1d0f, device)), std::string::npos)
			<< "PCI id 1d0f:" << std::hex << device << " missing from " << info;
	EXPECT_NE(info.find("\"kmod\": \"* "), std::string::npos) << info;
	EXPECT_NE(info.find("\"params\": \""), std::string::npos) << info;
}

TEST(PmdInfo, EnaSimLibraryDescribesTheVdevDriverOnly)
{
	const auto path = library_path("ENA_SIM_PMD_LIB");
	ASSERT_FALSE(path.empty()) << "ENA_SIM_PMD_LIB is not set (run through meson test)";
	const auto infos = pmd_info_strings(path);
	ASSERT_EQ(infos.size(), 1u) << path;
	const auto &info = infos.front();
	EXPECT_TRUE(printable_ascii(info)) << info;
	EXPECT_NE(info.find("\"name\": \"net_ena_sim\""), std::string::npos) << info;
	// dpdk-pmdinfo.py needs the key even for a driver without PCI ids.
	EXPECT_NE(info.find("\"pci_ids\": []"), std::string::npos) << info;
	EXPECT_NE(info.find("\"params\": \""), std::string::npos) << info;
}

}  // namespace
