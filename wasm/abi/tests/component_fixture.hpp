// Shared by the component tests: one Engine per process, guests by name from the build tree.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <airssys/wasm/abi/component.hpp>
#include <airssys/wasm/engine.hpp>

#include "test_host.hpp"

namespace airssys::wasm::abi::testing {

inline Engine& engine() {
  static Engine e;
  return e;
}

inline std::string guest_path(const std::string& name) { return std::string(AIRSSYS_GUEST_DIR) + "/" + name + ".wasm"; }

inline std::shared_ptr<const Module> load_guest(const std::string& name) {
  auto m = engine().load_file(guest_path(name));
  EXPECT_TRUE(m) << name << ": " << m.error().message();
  return m ? *m : nullptr;
}

inline Message msg(std::string_view payload) { return Message{"test/sender", bytes(payload), {}, {}, {}}; }

/// The payload of ok(some(p)) as text, or a description of anything else.
inline std::string answer(const Result<tl::expected<std::optional<Bytes>, std::string>>& r) {
  if (!r) return "host error: " + r.error().message();
  if (!*r) return "err: " + r->error();
  if (!**r) return "none";
  return text(***r);
}

class ComponentTest : public ::testing::Test {
 protected:
  /// Instantiates and initialises a guest; fails the test if either step fails.
  std::unique_ptr<ComponentInstance> start(const std::string& name, Config config = {}, Limits limits = {}) {
    auto module = load_guest(name);
    if (!module) return nullptr;
    auto comp = ComponentInstance::create(*module, host, limits, "test/" + name);
    EXPECT_TRUE(comp) << comp.error().message();
    if (!comp) return nullptr;
    if (config.address.empty()) config.address = "test/" + name;
    auto init = (*comp)->init(config);
    EXPECT_TRUE(init && *init) << (init ? init->error() : init.error().message());
    return std::move(*comp);
  }

  TestHost host;
};

}  // namespace airssys::wasm::abi::testing
