// A fixed pseudo-random sample of the import fuzzer's cases in the normal build: arbitrary flat
// arguments and memory to every import; only guest-caused error codes, never a crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "../fuzz/import_driver.hpp"

using namespace airssys::wasm::abi::testing;

TEST(ImportFuzzSmoke, ArbitraryArgumentsToEveryImport) {
  const auto* module = import_proxy_module(std::string(AIRSSYS_GUEST_DIR) + "/import_proxy.wasm");
  ASSERT_TRUE(module);
  std::mt19937 rng(2026);
  int cases = 0;
  std::map<std::string, int> tally;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> input(45 + rng() % 512);
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    input[0] = static_cast<std::uint8_t>(i);  // cycle through all imports
    // Half of the words small, so that many pointers land inside memory and calls get far.
    for (std::size_t w = 0; w < 10 && i % 2 == 0; ++w) input[5 + 4 * w + 2] = input[5 + 4 * w + 3] = 0;
    std::string why;
    ASSERT_TRUE(run_import_case(*module, input.data(), input.size(), &why, &tally)) << "case " << i << ": " << why;
    ++cases;
  }
  EXPECT_EQ(cases, 3000);
  // The sample must reach the Host, not only the checks.
  EXPECT_GT(tally["ok"], 500);
  EXPECT_GT(tally["bad_pointer"], 100);
  for (const auto& [outcome, n] : tally) std::printf("  %-18s %d\n", outcome.c_str(), n);
}
