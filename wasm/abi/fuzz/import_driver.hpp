// One fuzz case against the host's import bindings: instantiate wat/import_proxy.wasm (every
// contract import re-exported as p<index>) with default_imports() and a TestHost, fill guest memory
// from the input, and call one import with arbitrary flat arguments. Used by import_fuzz (libFuzzer)
// and by the ImportFuzzSmoke test (a fixed pseudo-random sample in the normal build).
//
// Oracle: the host never crashes (sanitizers watch), and a failing call fails only with a code a
// guest can legitimately cause.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/abi/host.hpp>
#include <airssys/wasm/engine.hpp>

#include "../tests/test_host.hpp"

namespace airssys::wasm::abi::testing {

inline const Module* import_proxy_module(const std::string& path) {
  static Engine engine;
  static std::shared_ptr<const Module> module = [&] {
    auto m = engine.load_file(path);
    return m ? *m : nullptr;
  }();
  return module.get();
}

inline bool acceptable_failure(Errc code) {
  switch (code) {
    case Errc::bad_pointer:
    case Errc::bad_alignment:
    case Errc::bad_utf8:
    case Errc::bad_discriminant:
    case Errc::invalid_argument:  // random-bytes asking for more than kMaxRandomBytes
    case Errc::trap:              // the proxy's cabi_realloc traps when memory is refused
    case Errc::fuel_exhausted:
    case Errc::memory_limit:
      return true;
    default:
      return false;
  }
}

/// Input: [import index][forced realloc result: 4][10 flat words: 4 each][guest memory bytes...].
/// Returns false when the oracle is violated (with a description in *why).
/// `tally` (optional) counts outcomes by name ("ok", "bad_pointer", ...).
inline bool run_import_case(const Module& module, const std::uint8_t* data, std::size_t size, std::string* why,
                            std::map<std::string, int>* tally = nullptr) {
  constexpr std::size_t kHeader = 1 + 4 + 10 * 4;
  if (size < kHeader) return true;
  auto word = [&](std::size_t i) {
    std::uint32_t w;
    std::memcpy(&w, data + 5 + 4 * i, 4);
    return w;
  };
  std::uint32_t forced;
  std::memcpy(&forced, data + 1, 4);
  const std::string name = "p" + std::to_string(data[0] % import_specs().size());

  TestHost host;
  host.store = {{"alpha", bytes("1")}, {"beta", bytes("two")}};
  Limits limits;
  limits.max_memory_bytes = 2u << 20;
  limits.fuel_per_call = 1'000'000;
  auto instance = Instance::create(module, default_imports(), limits, static_cast<Host*>(&host), "import_proxy");
  if (!instance) {
    *why = "instantiate: " + instance.error().message();
    return false;
  }
  auto mem = (*instance)->memory();
  std::memcpy(mem.data(), data + kHeader, std::min(size - kHeader, std::size_t{48 * 1024}));
  if (forced % 4 == 1) {  // a quarter of the cases: cabi_realloc answers garbage
    Value v = Value::i32(forced);
    (void)(*instance)->call("set_realloc", std::span<const Value>(&v, 1));
  }
  const ExportInfo* e = module.find_export(name);
  std::vector<Value> args;
  std::size_t w = 0;
  for (ValType t : e->type.params) {
    if (t == ValType::i64) {
      args.push_back(Value::i64(std::uint64_t{word(w)} | std::uint64_t{word(w + 1)} << 32));
      w += 2;
    } else {
      args.push_back(Value::i32(word(w++)));
    }
  }
  auto r = (*instance)->call(name, args);
  if (tally) ++(*tally)[r ? "ok" : std::string(name_of(r.error().code))];
  if (!r && !acceptable_failure(r.error().code)) {
    *why = name + ": unexpected " + std::string(name_of(r.error().code)) + ": " + r.error().message();
    return false;
  }
  return true;
}

}  // namespace airssys::wasm::abi::testing
