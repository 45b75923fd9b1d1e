// Engine and Module shared between threads; instances of one module running in parallel.
// Label "concurrent": CI also runs this suite under ThreadSanitizer.
#include <atomic>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include <airssys/wasm/engine.hpp>

namespace airssys::wasm {
namespace {

std::string module_path(std::string_view name) { return std::string(AIRSSYS_ENGINE_MODULES "/") + std::string(name) + ".wasm"; }

std::vector<std::uint8_t> read_bytes(std::string_view name) {
  std::ifstream in(module_path(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Result<std::vector<Value>> call(Instance& i, std::string_view name, std::initializer_list<Value> args = {}) {
  return i.call(name, std::span<const Value>(args.begin(), args.size()));
}

class EngineTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Module> load(std::string_view name) {
    auto m = engine.load_file(module_path(name));
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : nullptr;
  }
  Engine engine;
};

TEST_F(EngineTest, ConcurrentLoadsShareOneModule) {
  auto bytes = read_bytes("basic");
  std::vector<std::shared_ptr<const Module>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto m = engine.load(bytes);
      if (m) got[t] = *m;
    });
  }
  for (auto& t : threads) t.join();
  for (auto& m : got) EXPECT_EQ(m.get(), got[0].get());
  EXPECT_EQ(engine.cached_modules(), 1u);
}

TEST_F(EngineTest, InstancesRunInParallelThreads) {
  auto m = load("limits");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto i = Instance::create(*m, {}, {});
      if (!i) return;
      auto r = call(**i, "count", {Value::i32(100'000)});
      if (r && (*r)[0].u32 == 100'000u) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
}

TEST_F(EngineTest, ParallelLoadsOfDifferentModules) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (auto name : {"basic", "traps", "limits", "host"}) {
    threads.emplace_back([&, name] {
      for (int k = 0; k < 20; ++k) {
        if (engine.load_file(module_path(name))) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 80);
  EXPECT_EQ(engine.cached_modules(), 4u);
}

}  // namespace
}  // namespace airssys::wasm
