// The AOT tier's own guarantees: the cache (keyed, private, verified before loading), compile
// errors, fuel compared with the interpreter, and 5,000 instances at once (virtual and resident
// memory printed). The shared semantics are in engine_test.cpp (TieredTest runs on both tiers).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <airssys/wasm/engine.hpp>

namespace airssys::wasm {
namespace {

namespace fs = std::filesystem;

std::string module_path(std::string_view name) { return std::string(AIRSSYS_ENGINE_MODULES "/") + std::string(name) + ".wasm"; }

class AotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::path(AIRSSYS_TEST_AOT_CACHE) /
          ("aot_test-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

Result<std::vector<Value>> call(Instance& i, std::string_view name, std::initializer_list<Value> args = {}) {
  return i.call(name, std::span<const Value>(args.begin(), args.size()));
}

/// "VmSize" or "VmRSS" of this process in KiB, from /proc/self/status.
std::uint64_t proc_status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1));
  }
  return 0;
}

TEST_F(AotTest, CompilesOnceThenLoadsFromTheVerifiedCache) {
  AotStats first, second;
  {
    Engine engine(AotOptions{.cache_dir = dir});
    auto m = engine.load_file(module_path("basic"));
    ASSERT_TRUE(m) << m.error().message();
    auto native = engine.compile(**m, &first);
    ASSERT_TRUE(native) << native.error().message();
    EXPECT_EQ((*native)->tier(), Tier::aot);
    EXPECT_EQ((*native)->info().sha256, (*m)->info().sha256);
    EXPECT_FALSE(first.cache_hit);
    EXPECT_GT(first.c_bytes, 0u);
    EXPECT_TRUE(fs::exists(first.so_path));
    // A second compile in the same Engine is the same module.
    auto again = engine.compile(**m);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->get(), native->get());
  }
  {
    Engine engine(AotOptions{.cache_dir = dir});  // a new process would see the same
    auto m = engine.load_file(module_path("basic"));
    auto native = engine.compile(**m, &second);
    ASSERT_TRUE(native) << native.error().message();
    auto i = Instance::create(**native, {}, {});
    ASSERT_TRUE(i) << i.error().message();
    EXPECT_TRUE(second.cache_hit);
    EXPECT_EQ(second.so_path, first.so_path);
  }
  std::printf("basic.wasm: translate %.2f ms, cc %.1f ms, load from cache %.2f ms\n", first.translate_ms,
              first.compile_ms, second.load_ms);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(AotTest, AnEntryThatDoesNotMatchItsHashIsRebuiltNotLoaded) {
  fs::path so;
  {
    Engine engine(AotOptions{.cache_dir = dir});
    AotStats stats;
    auto m = engine.load_file(module_path("traps"));
    ASSERT_TRUE(engine.compile(**m, &stats));
    so = stats.so_path;
  }
  // Corrupt the entry (as a truncated write or a tampering would).
  {
    std::ofstream out(so, std::ios::binary | std::ios::trunc);
    out << "not a shared object";
  }
  Engine engine(AotOptions{.cache_dir = dir});
  AotStats stats;
  auto m = engine.load_file(module_path("traps"));
  auto native = engine.compile(**m, &stats);
  ASSERT_TRUE(native) << native.error().message();
  EXPECT_FALSE(stats.cache_hit);  // rebuilt
  auto i = Instance::create(**native, {}, {});
  ASSERT_TRUE(i) << i.error().message();
  auto r = call(**i, "ok");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].u32, 42u);
  EXPECT_GT(fs::file_size(so), 1000u);
}

TEST_F(AotTest, CacheDirectoryIsMadePrivate) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);  // 0777
  Engine engine(AotOptions{.cache_dir = dir});
  ASSERT_TRUE(engine.load_file(module_path("basic"), Tier::aot));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(AotTest, MissingCompilerIsCompileFailed) {
  Engine engine(AotOptions{.cache_dir = dir, .compiler = "/nonexistent/cc"});
  auto m = engine.load_file(module_path("basic"), Tier::aot);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::compile_failed);
  EXPECT_NE(m.error().context.find("/nonexistent/cc"), std::string::npos) << m.error().context;
}

TEST_F(AotTest, FuelMeansRoughlyTheSameOnBothTiers) {
  // The interpreter counts executed instructions; the AOT tier charges each function entry and
  // each loop iteration the static size of its body. For loops of straight-line code the two
  // agree closely; documented tolerance: AOT within [0.5x, 2x] of the interpreter.
  Engine engine(AotOptions{.cache_dir = dir});
  auto interp = engine.load_file(module_path("limits"));
  auto aot = engine.load_file(module_path("limits"), Tier::aot);
  ASSERT_TRUE(interp && aot) << (aot ? "" : aot.error().message());
  auto a = Instance::create(**interp, {}, {});
  auto b = Instance::create(**aot, {}, {});
  ASSERT_TRUE(a && b);
  for (std::uint32_t n : {1000u, 100000u}) {  // (the interpreter rounds up to a batch of 1000)
    ASSERT_TRUE(call(**a, "count", {Value::i32(n)}));
    ASSERT_TRUE(call(**b, "count", {Value::i32(n)}));
    double ratio = double((*b)->last_call_fuel()) / double((*a)->last_call_fuel());
    std::printf("count(%u): interpreter %llu, aot %llu (x%.2f)\n", n, (unsigned long long)(*a)->last_call_fuel(),
                (unsigned long long)(*b)->last_call_fuel(), ratio);
    EXPECT_GE(ratio, 0.5);
    EXPECT_LE(ratio, 2.0);
  }
}

TEST_F(AotTest, FiveThousandInstancesAtOnce) {
  Engine engine(AotOptions{.cache_dir = dir});
  auto m = engine.load_file(module_path("empty_page"), Tier::aot);  // one 64 KiB page each
  ASSERT_TRUE(m) << m.error().message();
  constexpr int kInstances = 5000;
  std::uint64_t vm0 = proc_status_kib("VmSize"), rss0 = proc_status_kib("VmRSS");
  std::vector<std::unique_ptr<Instance>> all;
  all.reserve(kInstances);
  for (int k = 0; k < kInstances; ++k) {
    auto i = Instance::create(**m, {}, {});
    ASSERT_TRUE(i) << k << ": " << i.error().message();
    all.push_back(std::move(*i));
  }
  for (auto& i : all) {  // every instance usable, its memory writable
    ASSERT_TRUE(call(*i, "empty"));
    i->memory()[65535] = 1;
  }
  std::uint64_t vm1 = proc_status_kib("VmSize"), rss1 = proc_status_kib("VmRSS");
  double vm_per = double(vm1 - vm0) * 1024 / kInstances, rss_per = double(rss1 - rss0) * 1024 / kInstances;
  std::printf("%d AOT instances: VmSize %llu -> %llu KiB (+%.1f KiB each), VmRSS %llu -> %llu KiB (+%.1f KiB each)\n",
              kInstances, (unsigned long long)vm0, (unsigned long long)vm1, vm_per / 1024, (unsigned long long)rss0,
              (unsigned long long)rss1, rss_per / 1024);
  // Explicit bounds checks: an instance reserves what it uses (its 64 KiB page and a few hundred
  // bytes), not the 8 GiB guard region of wasm2c's default. 5,000 fit in well under 1 GiB.
  EXPECT_LT(vm1 - vm0, 1024u * 1024u);  // KiB: < 1 GiB virtual for all of them
}

}  // namespace
}  // namespace airssys::wasm

namespace airssys::wasm {
namespace {

TEST_F(AotTest, ImportsAndExportsAreMatchedByNameNotPosition) {
  HostFunctions host;
  host.define("zeta", "twice", {{ValType::i32}, {ValType::i32}}, [](CallContext&, auto args, auto results) -> Result<void> {
    results[0] = Value::i32(args[0].u32 * 2);
    return {};
  });
  host.define("alpha", "wide", {{ValType::i64, ValType::f64}, {ValType::i64}},
              [](CallContext&, auto args, auto results) -> Result<void> {
                results[0] = Value::i64(args[0].u64 + static_cast<std::uint64_t>(args[1].f64 * 10));
                return {};
              });
  Engine engine(AotOptions{.cache_dir = dir});
  auto m = engine.load_file(module_path("import_order"), Tier::aot);
  ASSERT_TRUE(m) << m.error().message();
  auto i = Instance::create(**m, host, {});
  ASSERT_TRUE(i) << i.error().message();
  auto r = call(**i, "z_first", {Value::i32(21)});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0].u32, 42u);
  r = call(**i, "a_second", {Value::i64(1'000'000'000'000)});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0].u64, 1'000'000'000'005u);
}

}  // namespace
}  // namespace airssys::wasm
