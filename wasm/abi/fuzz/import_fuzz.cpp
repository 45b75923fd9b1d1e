// libFuzzer target: arbitrary flat arguments and guest memory handed to every contract import
// (see import_driver.hpp). ./import_fuzz -max_total_time=60
#include <cstdio>
#include <cstdlib>

#include "import_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace airssys::wasm::abi::testing;
  const auto* module = import_proxy_module(AIRSSYS_IMPORT_PROXY);
  if (!module) {
    std::fprintf(stderr, "cannot load %s\n", AIRSSYS_IMPORT_PROXY);
    std::abort();
  }
  std::string why;
  if (!run_import_case(*module, data, size, &why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::abort();
  }
  return 0;
}
