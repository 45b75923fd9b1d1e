// libFuzzer: arbitrary bytes through load -> instantiate -> call every zero-argument export.
// Nothing may crash, hang or leak: load rejects or accepts, instantiation and calls fail with a
// typed error or succeed, all under small limits (fuel, memory, depth, deadline).
#include <cstddef>
#include <cstdint>

#include <airssys/wasm/engine.hpp>

using namespace airssys::wasm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Engine engine;  // fresh per input: the cache would otherwise grow across the run
  auto module = engine.load(std::span(data, size), "fuzz");
  if (!module) return 0;
  Limits limits;
  limits.max_memory_bytes = 1 << 20;
  limits.fuel_per_call = 100'000;
  limits.deadline_ms = 1'000;
  limits.max_call_depth = 500;
  limits.max_table_elements = 10'000;
  limits.max_stack_bytes = 1 << 20;
  auto instance = Instance::create(**module, HostFunctions{}, limits);  // fails on any import
  if (!instance) return 0;
  for (const auto& e : (*module)->info().exports) {
    if (e.kind == ImportInfo::Kind::func && e.type.params.empty()) (void)(*instance)->call(e.name, {});
  }
  return 0;
}
