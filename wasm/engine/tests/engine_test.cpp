// Layer 1 behaviour: load errors, inspection, cache, linking, limits, traps, reentrancy.
#include <chrono>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include <airssys/wasm/engine.hpp>

namespace airssys::wasm {
namespace {

using namespace std::chrono_literals;

std::string module_path(std::string_view name) { return std::string(AIRSSYS_ENGINE_MODULES "/") + std::string(name) + ".wasm"; }

std::vector<std::uint8_t> read_bytes(std::string_view name) {
  std::ifstream in(module_path(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

AotOptions test_aot_options() { return AotOptions{.cache_dir = AIRSSYS_TEST_AOT_CACHE}; }

class EngineTest : public ::testing::Test {
 protected:
  virtual Tier tier() const { return Tier::interp; }
  std::shared_ptr<const Module> load(std::string_view name) {
    auto m = engine.load_file(module_path(name), tier());
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : nullptr;
  }
  std::unique_ptr<Instance> instantiate(std::string_view name, const Limits& limits = {},
                                        const HostFunctions& host = {}) {
    auto m = load(name);
    if (!m) return nullptr;
    auto i = Instance::create(*m, host, limits, nullptr, std::string(name));
    EXPECT_TRUE(i) << i.error().message();
    return i ? std::move(*i) : nullptr;
  }
  Engine engine{test_aot_options()};
};

/// Tests of execution semantics run on both tiers: the interpreter and AOT-compiled code.
class TieredTest : public EngineTest, public ::testing::WithParamInterface<Tier> {
 protected:
  Tier tier() const override { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Tiers, TieredTest, ::testing::Values(Tier::interp, Tier::aot),
                         [](const auto& info) { return std::string(to_string(info.param)); });

Result<std::vector<Value>> call(Instance& i, std::string_view name, std::initializer_list<Value> args = {}) {
  return i.call(name, std::span<const Value>(args.begin(), args.size()));
}

// ---- load ----------------------------------------------------------------------------------

TEST_F(EngineTest, MissingFileIsIoError) {
  auto m = engine.load_file("/nonexistent/dir/x.wasm");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::io_error);
  EXPECT_NE(m.error().context.find("/nonexistent/dir/x.wasm"), std::string::npos);
}

TEST_F(EngineTest, GarbageIsMalformedWithOffset) {
  std::vector<std::uint8_t> garbage = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  auto m = engine.load(garbage, "garbage.wasm");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::malformed_module);
  EXPECT_NE(m.error().context.find("garbage.wasm: offset 0x"), std::string::npos) << m.error().context;
  EXPECT_NE(m.error().context.find("magic"), std::string::npos) << m.error().context;
}

TEST_F(EngineTest, EmptyInputIsMalformed) {
  auto m = engine.load({}, "empty");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::malformed_module);
}

TEST_F(EngineTest, DataCountWithoutItsDataSectionIsMalformed) {
  // A DataCount section of 1 and code using data segment 0, but no Data section: wabt 1.0.32
  // accepts it and its interpreter then read a segment that does not exist (found by load_fuzz).
  const std::vector<std::uint8_t> bytes = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,        // magic, version
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    // type: () -> ()
      0x03, 0x02, 0x01, 0x00,                                // function 0: type 0
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,              // export "f" = function 0
      0x0c, 0x01, 0x01,                                      // data count: 1
      0x0a, 0x07, 0x01, 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b,  // code: data.drop 0
  };
  auto m = engine.load(bytes, "datacount");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::malformed_module);
  EXPECT_NE(m.error().context.find("data count section says 1 data segments, the module has 0"), std::string::npos)
      << m.error().context;
}

TEST_F(EngineTest, TruncatedModuleIsMalformed) {
  // A cut at a section boundary leaves a valid (shorter) module; every other cut is malformed.
  auto bytes = read_bytes("basic");
  ASSERT_GT(bytes.size(), 40u);
  std::size_t malformed = 0;
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    auto m = engine.load(std::span(bytes).first(cut), "cut.wasm");
    if (m) continue;
    ++malformed;
    EXPECT_EQ(m.error().code, Errc::malformed_module) << m.error().context;
    EXPECT_NE(m.error().context.find("cut.wasm: offset 0x"), std::string::npos);
  }
  EXPECT_GT(malformed, bytes.size() - 12);
}

TEST_F(EngineTest, InvalidModuleIsRejectedByValidation) {
  auto m = engine.load_file(module_path("invalid"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::invalid_module);
  EXPECT_NE(m.error().context.find("invalid.wasm: offset 0x"), std::string::npos) << m.error().context;
  EXPECT_NE(m.error().context.find("type mismatch"), std::string::npos) << m.error().context;
}

TEST_F(EngineTest, CorruptedBytesNeverCrash) {
  auto bytes = read_bytes("traps");
  for (std::size_t i = 8; i < bytes.size(); ++i) {
    auto copy = bytes;
    copy[i] ^= 0xff;
    auto m = engine.load(copy, "flip");
    if (m) {
      auto inst = Instance::create(**m, {}, Limits{.fuel_per_call = 10'000});
      if (inst) (void)call(**inst, "ok");
    }
  }
}

// ---- inspect -------------------------------------------------------------------------------

TEST_F(EngineTest, InspectReportsImportsExportsMemoriesAndHash) {
  auto m = load("host");
  const auto& info = m->info();
  EXPECT_NE(info.name.find("host.wasm"), std::string::npos);
  ASSERT_EQ(info.imports.size(), 2u);
  EXPECT_EQ(info.imports[0].module, "airssys:component/messaging@0.1.0");
  EXPECT_EQ(info.imports[0].name, "send");
  EXPECT_EQ(to_string(info.imports[0].type), "(i32, i32) -> (i32)");
  EXPECT_EQ(to_string(info.imports[1].type), "() -> (i64)");
  ASSERT_EQ(info.memories.size(), 1u);
  EXPECT_EQ(info.memories[0].initial_pages, 1u);
  EXPECT_FALSE(info.memories[0].max_pages);
  EXPECT_EQ(info.size_bytes, read_bytes("host").size());
  EXPECT_EQ(info.sha256.size(), 64u);
  const auto* realloc = m->find_export("cabi_realloc");
  ASSERT_NE(realloc, nullptr);
  EXPECT_EQ(realloc->kind, ImportInfo::Kind::func);
  EXPECT_EQ(to_string(realloc->type), "(i32, i32, i32, i32) -> (i32)");
  const auto* memory = m->find_export("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->kind, ImportInfo::Kind::memory);
  EXPECT_EQ(m->find_export("nope"), nullptr);

  auto max = load("memory_max");
  ASSERT_EQ(max->info().memories.size(), 1u);
  EXPECT_EQ(max->info().memories[0].max_pages, std::optional<std::uint64_t>(1000));
}

TEST_F(EngineTest, Sha256MatchesKnownDigest) {
  // sha256 of the 8-byte empty module "\0asm\1\0\0\0".
  std::vector<std::uint8_t> empty = {0, 'a', 's', 'm', 1, 0, 0, 0};
  auto m = engine.load(empty);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ((*m)->info().sha256, "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476");
}

// ---- cache ---------------------------------------------------------------------------------

TEST_F(EngineTest, CacheHitsByContentHash) {
  auto a = load("basic");
  auto bytes = read_bytes("basic");
  auto b = engine.load(bytes, "same bytes, other name");
  ASSERT_TRUE(b);
  EXPECT_EQ(a.get(), b->get());
  EXPECT_EQ(engine.cached_modules(), 1u);
  auto c = load("traps");
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(engine.cached_modules(), 2u);
}

// ---- call ----------------------------------------------------------------------------------

TEST_P(TieredTest, CallsExportsWithEveryScalarType) {
  auto i = instantiate("basic");
  auto r = call(*i, "add", {Value::i32(40), Value::i32(2)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].type, ValType::i32);
  EXPECT_EQ((*r)[0].u32, 42u);
  r = call(*i, "add64", {Value::i64(1ull << 40), Value::i64(5)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].u64, (1ull << 40) + 5);
  r = call(*i, "mulf", {Value::f32v(1.5f), Value::f64v(4.0)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].f64, 6.0);
  r = call(*i, "pair");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].u32, 7u);
  EXPECT_EQ((*r)[1].u64, 8u);
  r = call(*i, "empty");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST_P(TieredTest, MissingExportAndWrongArgumentsAreNotFatal) {
  auto i = instantiate("basic");
  auto r = call(*i, "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::missing_export);
  r = call(*i, "add", {Value::i32(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::export_signature);
  EXPECT_NE(r.error().context.find("(i32, i32) -> (i32)"), std::string::npos) << r.error().context;
  r = call(*i, "add", {Value::i64(1), Value::i32(2)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::export_signature);
  EXPECT_FALSE(i->poisoned());
  EXPECT_TRUE(call(*i, "add", {Value::i32(1), Value::i32(2)}));
}

TEST_P(TieredTest, DataSegmentsAndMemoryAccess) {
  auto i = instantiate("basic");
  auto mem = i->memory();
  ASSERT_EQ(mem.size(), 65536u);
  EXPECT_EQ(std::memcmp(mem.data() + 16, "hello", 5), 0);
  ASSERT_TRUE(call(*i, "store", {Value::i32(100), Value::i32(0xabcdef01)}));
  std::uint32_t v;
  std::memcpy(&v, i->memory().data() + 100, 4);
  EXPECT_EQ(v, 0xabcdef01u);
}

TEST_P(TieredTest, ReleasingZeroPagesKeepsEveryByte) {
  auto i = instantiate("basic");  // one page, "hello" at 16
  ASSERT_TRUE(call(*i, "store", {Value::i32(40000), Value::i32(0x11223344)}));
  const std::vector<std::uint8_t> before(i->memory().begin(), i->memory().end());
  const auto released = i->release_zero_pages();
  // Whole 4 KiB pages inside the buffer that hold only zeros: not the two written ones.
  EXPECT_GT(released, 0u);
  EXPECT_LE(released, 65536u - 2 * 4096);
  EXPECT_EQ(released % 4096, 0u);
  const std::vector<std::uint8_t> after(i->memory().begin(), i->memory().end());
  EXPECT_EQ(before, after);
  ASSERT_TRUE(call(*i, "store", {Value::i32(20000), Value::i32(7)}));  // a released page, written again
  std::uint32_t v;
  std::memcpy(&v, i->memory().data() + 20000, 4);
  EXPECT_EQ(v, 7u);
  EXPECT_EQ(i->release_zero_pages() % 4096, 0u);
  std::memcpy(&v, i->memory().data() + 40000, 4);
  EXPECT_EQ(v, 0x11223344u);
}

TEST_P(TieredTest, InstancesAreIndependent) {
  auto m = load("basic");
  auto a = Instance::create(*m, {}, {});
  auto b = Instance::create(*m, {}, {});
  ASSERT_TRUE(a && b);
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(call(**a, "bump"));
  EXPECT_EQ((*call(**a, "bump"))[0].u32, 4u);
  EXPECT_EQ((*call(**b, "bump"))[0].u32, 1u);  // globals are separate
  ASSERT_TRUE(call(**a, "store", {Value::i32(0), Value::i32(99)}));
  EXPECT_EQ((*call(**b, "load", {Value::i32(0)}))[0].u32, 0u);  // memories are separate
  EXPECT_NE((*a)->memory().data(), (*b)->memory().data());
}

// ---- link ----------------------------------------------------------------------------------

HostFunctions full_host() {
  HostFunctions host;
  host.define("airssys:component/messaging@0.1.0", "send", {{ValType::i32, ValType::i32}, {ValType::i32}},
              [](CallContext&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
                results[0] = Value::i32(args[1].u32);
                return {};
              });
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto, std::span<Value> results) -> Result<void> {
    results[0] = Value::i64(1234);
    return {};
  });
  return host;
}

TEST_P(TieredTest, UnknownImportIsNamed) {
  auto m = load("host");
  HostFunctions host;
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto, auto) -> Result<void> { return {}; });
  auto i = Instance::create(*m, host, {});
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Errc::unknown_import);
  EXPECT_NE(i.error().context.find("airssys:component/messaging@0.1.0.send"), std::string::npos) << i.error().context;
}

TEST_P(TieredTest, WrongImportSignatureIsNamed) {
  auto m = load("host");
  auto host = full_host();
  host.define("env", "now", {{}, {ValType::i32}}, [](CallContext&, auto, auto) -> Result<void> { return {}; });
  auto i = Instance::create(*m, host, {});
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Errc::import_signature);
  EXPECT_NE(i.error().context.find("env.now"), std::string::npos);
  EXPECT_NE(i.error().context.find("expects () -> (i64)"), std::string::npos) << i.error().context;
  EXPECT_NE(i.error().context.find("provides () -> (i32)"), std::string::npos) << i.error().context;
}

TEST_P(TieredTest, NonFunctionImportsAreRejected) {
  // The AOT tier refuses such a module when compiling it (it could never be linked), with the
  // same error the interpreter gives when instantiating it.
  auto i = tier() == Tier::aot ? Result<std::unique_ptr<Instance>>(tl::unexpected(
                                     engine.load_file(module_path("import_memory"), Tier::aot).error()))
                               : Instance::create(*load("import_memory"), {}, {});
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Errc::unknown_import);
  EXPECT_NE(i.error().context.find("env.memory"), std::string::npos);
  EXPECT_NE(i.error().context.find("memory"), std::string::npos);
}

TEST_P(TieredTest, HostFunctionsReceiveArgumentsAndReturnResults) {
  auto i = instantiate("host", {}, full_host());
  auto r = call(*i, "send_hello");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0].u32, 5u);
  r = call(*i, "time");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].u64, 1234u);
}

TEST_P(TieredTest, HostReadsCallerMemoryAndCallsBackIn) {
  // The canonical-ABI pattern: the host reads the guest's string, then allocates in the guest
  // (reentrant call to cabi_realloc) and writes a reply there.
  auto host = full_host();
  std::string seen;
  std::uint32_t reply_ptr = 0;
  host.define("airssys:component/messaging@0.1.0", "send", {{ValType::i32, ValType::i32}, {ValType::i32}},
              [&](CallContext& ctx, std::span<const Value> args, std::span<Value> results) -> Result<void> {
                auto mem = ctx.memory();
                seen.assign(reinterpret_cast<const char*>(mem.data()) + args[0].u32, args[1].u32);
                Value realloc_args[] = {Value::i32(0), Value::i32(0), Value::i32(1), Value::i32(3)};
                auto p = ctx.call("cabi_realloc", realloc_args);
                if (!p) return tl::unexpected(p.error());
                reply_ptr = (*p)[0].u32;
                std::memcpy(ctx.memory().data() + reply_ptr, "ok!", 3);
                results[0] = Value::i32(reply_ptr);
                return {};
              });
  int tag = 7;
  auto m = load("host");
  auto inst = Instance::create(*m, host, {}, &tag, "component-a");
  ASSERT_TRUE(inst);
  auto& i = **inst;
  auto r = call(i, "send_hello");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, "hello");
  EXPECT_EQ(reply_ptr, 1024u);
  EXPECT_EQ((*r)[0].u32, 1024u);
  EXPECT_EQ(std::memcmp(i.memory().data() + 1024, "ok!", 3), 0);
  // A second call allocates further: the reentrant call really ran in this instance.
  ASSERT_TRUE(call(i, "send_hello"));
  EXPECT_EQ(reply_ptr, 1027u);
}

TEST_P(TieredTest, UserDataReachesHostFunctions) {
  auto host = full_host();
  void* seen = nullptr;
  host.define("env", "now", {{}, {ValType::i64}}, [&](CallContext& ctx, auto, std::span<Value> results) -> Result<void> {
    seen = ctx.user_data();
    results[0] = Value::i64(0);
    return {};
  });
  int tag = 0;
  auto m = load("host");
  auto i = Instance::create(*m, host, {}, &tag);
  ASSERT_TRUE(i);
  ASSERT_TRUE(call(**i, "time"));
  EXPECT_EQ(seen, &tag);
}

TEST_P(TieredTest, HostErrorAbortsTheCallAndPoisons) {
  auto host = full_host();
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto, auto) -> Result<void> {
    return fail(Errc::bad_pointer, "ptr 0x10 past the end");
  });
  auto i = instantiate("host", {}, host);
  auto r = call(*i, "time");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::bad_pointer);
  EXPECT_NE(r.error().context.find("env.now"), std::string::npos) << r.error().context;
  EXPECT_NE(r.error().context.find("ptr 0x10"), std::string::npos);
  EXPECT_TRUE(i->poisoned());
  EXPECT_EQ(call(*i, "empty").error().code, Errc::poisoned);
}

TEST_P(TieredTest, HostExceptionBecomesHostError) {
  auto host = full_host();
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto, auto) -> Result<void> {
    throw std::runtime_error("boom");
  });
  auto i = instantiate("host", {}, host);
  auto r = call(*i, "time");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::host_error);
  EXPECT_NE(r.error().context.find("boom"), std::string::npos);
}

TEST_P(TieredTest, FailedReentrantCallPoisonsEvenIfSwallowed) {
  auto host = full_host();
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext& ctx, auto, std::span<Value> results) -> Result<void> {
    (void)ctx.call("spin_forever_missing", {});  // missing export: not fatal
    Value bad[] = {Value::i32(0)};
    auto r = ctx.call("cabi_realloc", bad);  // wrong arity: not fatal either
    if (r || r.error().code != Errc::export_signature) return fail(Errc::host_error, "expected export_signature");
    results[0] = Value::i64(1);
    return {};
  });
  auto i = instantiate("host", {}, host);
  auto r = call(*i, "time");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(i->poisoned());
}

TEST_P(TieredTest, NestedTrapPoisonsEvenIfTheHostSwallowsIt) {
  auto host = full_host();
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext& ctx, auto, std::span<Value> results) -> Result<void> {
    auto r = ctx.call("boom", {});
    if (r || r.error().code != Errc::trap) return fail(Errc::host_error, "expected a trap");
    auto again = ctx.call("empty", {});  // the instance is already poisoned
    if (again || again.error().code != Errc::poisoned) return fail(Errc::host_error, "expected poisoned");
    results[0] = Value::i64(0);
    return {};  // swallowed: the guest must still not continue
  });
  auto i = instantiate("host", {}, host);
  auto r = call(*i, "time");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::trap);
  EXPECT_NE(r.error().context.find("boom: unreachable executed"), std::string::npos) << r.error().context;
  EXPECT_TRUE(i->poisoned());
}

TEST_P(TieredTest, ReentrancyDepthIsBounded) {
  // Guest -> host -> guest -> host ... without end: stopped long before the native stack is at risk.
  auto host = full_host();
  int depth = 0;
  host.define("env", "now", {{}, {ValType::i64}}, [&](CallContext& ctx, auto, std::span<Value> results) -> Result<void> {
    ++depth;
    auto r = ctx.call("time", {});
    if (!r) return tl::unexpected(r.error());
    results[0] = (*r)[0];
    return {};
  });
  auto i = instantiate("host", {}, host);
  auto r = call(*i, "time");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::stack_exhausted);
  EXPECT_LE(depth, 64);
}

// ---- limits --------------------------------------------------------------------------------

TEST_P(TieredTest, FuelLimitsInstructions) {
  auto i = instantiate("limits", Limits{.fuel_per_call = 50'000});
  auto r = call(*i, "count", {Value::i32(100)});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_GT(i->last_call_fuel(), 100u);
  EXPECT_LE(i->last_call_fuel(), 50'000u);
  r = call(*i, "count", {Value::i32(1'000'000)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::fuel_exhausted);
  EXPECT_NE(r.error().context.find("limits: count"), std::string::npos) << r.error().context;
  EXPECT_EQ(i->last_call_fuel(), 50'000u);
  EXPECT_TRUE(i->poisoned());
  r = call(*i, "size");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::poisoned);
  EXPECT_NE(r.error().context.find("fuel"), std::string::npos);
}

TEST_P(TieredTest, FuelIsPerCall) {
  auto i = instantiate("limits", Limits{.fuel_per_call = 5'000});
  for (int k = 0; k < 100; ++k) ASSERT_TRUE(call(*i, "count", {Value::i32(100)})) << k;
}

TEST_P(TieredTest, FuelStopsInfiniteLoop) {
  auto i = instantiate("limits", Limits{.fuel_per_call = 1'000'000});
  auto r = call(*i, "spin");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::fuel_exhausted);
}

TEST_P(TieredTest, DeadlineStopsInfiniteLoop) {
  auto i = instantiate("limits", Limits{.deadline_ms = 50});
  auto t0 = std::chrono::steady_clock::now();
  auto r = call(*i, "spin");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::deadline_exceeded);
  EXPECT_NE(r.error().context.find("limits: spin"), std::string::npos);
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(call(*i, "size").error().code, Errc::poisoned);
}

TEST_P(TieredTest, FuelAndDeadlineStopEndlessCalls) {
  // Work done only through calls: a loop whose every pass calls (the AOT tier checks such a loop
  // at the callee's entry, not at its header) and a recursion tree without any loop.
  for (std::string_view fn : {"spin_calling", "tree"}) {
    auto run = [&](Instance& i) { return fn == "tree" ? call(i, fn, {Value::i32(60)}) : call(i, fn); };
    auto fueled = instantiate("limits", Limits{.fuel_per_call = 1'000'000});
    auto r = run(*fueled);
    ASSERT_FALSE(r) << fn;
    EXPECT_EQ(r.error().code, Errc::fuel_exhausted) << fn;
    auto timed = instantiate("limits", Limits{.deadline_ms = 50});
    auto t0 = std::chrono::steady_clock::now();
    r = run(*timed);
    auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(r) << fn;
    EXPECT_EQ(r.error().code, Errc::deadline_exceeded) << fn;
    EXPECT_GE(took, 50ms) << fn;
    EXPECT_LT(took, 2s) << fn;
  }
}

TEST_P(TieredTest, DeadlineHoldsAgainstBulkMemoryInstructions) {
  // 1000 fills of 16 MiB would take seconds; modules with bulk instructions get smaller batches.
  auto i = instantiate("bulk", Limits{.deadline_ms = 50});
  auto t0 = std::chrono::steady_clock::now();
  auto r = call(*i, "fill_forever");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::deadline_exceeded);
  EXPECT_LT(took, 600ms);
}

TEST_P(TieredTest, DeadlineCoversHostCallbacks) {
  auto host = full_host();
  auto i = instantiate("host", Limits{.deadline_ms = 30}, host);
  auto r = call(*i, "host_loop", {Value::i32(0xffffffff)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::deadline_exceeded);
}

TEST_P(TieredTest, StartFunctionRunsUnderLimits) {
  auto m = load("start_spin");
  auto i = Instance::create(*m, {}, Limits{.deadline_ms = 20});
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Errc::deadline_exceeded);
  EXPECT_NE(i.error().context.find("start"), std::string::npos);
  auto t = load("start_trap");
  auto j = Instance::create(*t, {}, {});
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, Errc::trap);
  EXPECT_NE(j.error().context.find("unreachable"), std::string::npos) << j.error().context;
}

TEST_P(TieredTest, DeepRecursionExhaustsTheStack) {
  for (auto fn : {"recurse", "recurse_indirect"}) {
    auto i = instantiate("limits", Limits{.max_call_depth = 500});
    auto r = call(*i, fn);
    ASSERT_FALSE(r) << fn;
    EXPECT_EQ(r.error().code, Errc::stack_exhausted) << r.error().message();
    EXPECT_NE(r.error().context.find(fn), std::string::npos);
    EXPECT_TRUE(i->poisoned());
  }
  auto i = instantiate("limits", Limits{.max_call_depth = 500});
  auto r = call(*i, "deep", {Value::i32(400)});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)[0].u32, 400u);
  // The interpreter counts frames exactly. The AOT tier turns max_call_depth into a native stack
  // budget (256 bytes a frame; docs/engine.md), so the depth it allows is at least the limit and
  // at most a small multiple of it.
  std::uint32_t past = tier() == Tier::aot ? 100'000 : 600;
  r = call(*i, "deep", {Value::i32(past)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::stack_exhausted);
}

TEST_P(TieredTest, DefaultDepthLimitStopsRunawayRecursion) {
  auto i = instantiate("limits");
  auto r = call(*i, "recurse_indirect");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::stack_exhausted);
}

TEST_P(TieredTest, ValueStackLimit) {
  auto i = instantiate("limits", Limits{.max_call_depth = 1'000'000, .max_stack_bytes = 64 << 10});
  auto r = call(*i, "deep", {Value::i32(100'000)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::stack_exhausted);
  EXPECT_NE(r.error().context.find("value stack"), std::string::npos) << r.error().context;
}

TEST_P(TieredTest, MemoryLimitWithoutDeclaredMax) {
  auto i = instantiate("limits", Limits{.max_memory_bytes = 4 * 65536});
  EXPECT_EQ((*call(*i, "grow", {Value::i32(3)}))[0].u32, 1u);  // 1 -> 4 pages: allowed
  EXPECT_EQ((*call(*i, "grow", {Value::i32(1)}))[0].u32, 0xffffffffu);  // -1: past the limit
  EXPECT_EQ((*call(*i, "size"))[0].u32, 4u);
  EXPECT_FALSE(i->poisoned());  // a refused grow is ordinary wasm behaviour
  EXPECT_EQ(i->memory().size(), 4u * 65536);
}

TEST_P(TieredTest, MemoryLimitBelowDeclaredMax) {
  auto i = instantiate("memory_max", Limits{.max_memory_bytes = 2 * 65536});
  EXPECT_EQ((*call(*i, "grow", {Value::i32(1)}))[0].u32, 1u);
  EXPECT_EQ((*call(*i, "grow", {Value::i32(1)}))[0].u32, 0xffffffffu);
  // The declared max still applies when it is the smaller one.
  auto j = instantiate("memory_max", Limits{.max_memory_bytes = 1ull << 30});
  EXPECT_EQ((*call(*j, "grow", {Value::i32(999)}))[0].u32, 1u);
  EXPECT_EQ((*call(*j, "grow", {Value::i32(1)}))[0].u32, 0xffffffffu);
}

TEST_P(TieredTest, SetLimitsRaisesMemoryLimit) {
  auto i = instantiate("limits", Limits{.max_memory_bytes = 65536});
  EXPECT_EQ((*call(*i, "grow", {Value::i32(1)}))[0].u32, 0xffffffffu);
  Limits more = i->limits();
  more.max_memory_bytes = 2 * 65536;
  i->set_limits(more);
  EXPECT_EQ((*call(*i, "grow", {Value::i32(1)}))[0].u32, 1u);
}

TEST_P(TieredTest, InitialMemoryPastLimitFailsToInstantiate) {
  auto m = load("memory_big");
  auto i = Instance::create(*m, {}, {}, nullptr, "big");
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, Errc::memory_limit);
  EXPECT_NE(i.error().context.find("big"), std::string::npos);
  auto j = Instance::create(*m, {}, Limits{.max_memory_bytes = 257 * 65536});
  EXPECT_TRUE(j);
}

// ---- traps ---------------------------------------------------------------------------------

struct TrapCase {
  const char* fn;
  const char* message;
};

class TrapTest : public EngineTest, public ::testing::WithParamInterface<std::tuple<Tier, TrapCase>> {
 protected:
  Tier tier() const override { return std::get<0>(GetParam()); }
};

TEST_P(TrapTest, TrapsWithWabtMessageAndPoisons) {
  auto i = instantiate("traps");
  const auto& c = std::get<1>(GetParam());
  auto r = c.fn == std::string("div_zero") ? call(*i, c.fn, {Value::i32(0)}) : call(*i, c.fn);
  ASSERT_FALSE(r) << c.fn;
  EXPECT_EQ(r.error().code, Errc::trap);
  EXPECT_NE(r.error().context.find(c.message), std::string::npos) << r.error().context;
  EXPECT_NE(r.error().context.find(std::string("traps: ") + c.fn), std::string::npos) << r.error().context;
  EXPECT_TRUE(i->poisoned());
  auto again = call(*i, "ok");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::poisoned);
}

INSTANTIATE_TEST_SUITE_P(Kinds, TrapTest,
                         ::testing::Combine(::testing::Values(Tier::interp, Tier::aot), ::testing::Values(TrapCase{"unreachable", "unreachable executed"},
                                           TrapCase{"oob_load", "out of bounds memory access"},
                                           TrapCase{"div_zero", "integer divide by zero"},
                                           TrapCase{"int_overflow", "integer overflow"},
                                           TrapCase{"bad_convert", "invalid conversion to integer"},
                                           TrapCase{"indirect_mismatch", "indirect call signature mismatch"},
                                           TrapCase{"indirect_oob", "undefined table index"},
                                           TrapCase{"indirect_null", "uninitialized table element"})),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" + std::get<1>(info.param).fn;
                         });

TEST_P(TieredTest, OtherInstancesSurviveATrap) {
  auto m = load("traps");
  auto a = Instance::create(*m, {}, {});
  auto b = Instance::create(*m, {}, {});
  ASSERT_FALSE(call(**a, "unreachable"));
  auto r = call(**b, "ok");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].u32, 42u);
}

// ---- instance recycling -------------------------------------------------------------------

class RecyclingTest : public EngineTest {
 protected:
  RecyclingTest() {
    host.define("host", "started", {}, [this](CallContext&, auto, auto) -> Result<void> {
      ++started;
      return {};
    });
  }
  ~RecyclingTest() override { set_instance_recycling(true); }
  std::unique_ptr<Instance> create(const Limits& limits = {}) {
    auto i = Instance::create(*module, host, limits, nullptr, "recycle");
    EXPECT_TRUE(i) << i.error().message();
    return i ? std::move(*i) : nullptr;
  }
  /// `check`'s verdict: 0 when the instance is as instantiated.
  std::uint32_t check(Instance& i) {
    auto r = call(i, "check");
    EXPECT_TRUE(r) << r.error().message();
    return r ? (*r)[0].u32 : 99;
  }
  std::uint64_t reused() const { return instance_recycling_stats().reused; }

  HostFunctions host;
  int started = 0;
  std::shared_ptr<const Module> module = load("recycle");
};

TEST_F(RecyclingTest, ReusedInstanceIsAsInstantiated) {
  const auto before = reused();
  for (int round = 0; round < 3; ++round) {
    auto i = create();
    ASSERT_TRUE(i);
    EXPECT_EQ(started, round + 1) << "the start function runs for every instance, reused or not";
    EXPECT_EQ(check(*i), 0u) << "round " << round;
    ASSERT_TRUE(call(*i, "dirty"));
    EXPECT_NE(check(*i), 0u);  // check sees what dirty did
  }
  EXPECT_EQ(reused(), before + 2);
}

TEST_F(RecyclingTest, PoisonedInstanceIsNotReused) {
  {
    auto i = create();
    ASSERT_TRUE(i);
    ASSERT_TRUE(call(*i, "dirty"));
    auto r = call(*i, "boom");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::trap);
  }
  const auto before = reused();
  auto fresh = create();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(reused(), before);
  EXPECT_EQ(check(*fresh), 0u);  // its memory may be the trapped one's, cleared
}

TEST_F(RecyclingTest, OffMeansEveryInstanceIsNew) {
  set_instance_recycling(false);
  const auto before = reused();
  for (int round = 0; round < 2; ++round) {
    auto i = create();
    ASSERT_TRUE(i);
    EXPECT_EQ(check(*i), 0u);
    ASSERT_TRUE(call(*i, "dirty"));
  }
  EXPECT_EQ(reused(), before);
}

TEST_F(RecyclingTest, ParkedInstanceKeepsNothingOfItsCaller) {
  auto owned = std::make_shared<int>(0);  // what a host function's closure might own
  {
    HostFunctions owning;
    owning.define("host", "started", {}, [owned](CallContext&, auto, auto) -> Result<void> { return {}; });
    auto i = Instance::create(*module, owning, {});
    ASSERT_TRUE(i);
  }
  EXPECT_GE(instance_recycling_stats().parked, 1u);
  EXPECT_EQ(owned.use_count(), 1) << "the parked instance still holds the caller's host functions";
}

TEST_F(RecyclingTest, TrimFreesWhatWaitedLongerThanAsked) {
  create().reset();  // parked
  const auto parked = instance_recycling_stats().parked;
  ASSERT_GE(parked, 1u);
  EXPECT_EQ(engine.trim_recycled(std::chrono::hours(1)), 0u);  // parked just now
  EXPECT_EQ(instance_recycling_stats().parked, parked);
  EXPECT_GE(engine.trim_recycled(0ms), 65536u);
  EXPECT_EQ(instance_recycling_stats().parked, parked - 1);
  const auto before = reused();
  auto i = create();
  ASSERT_TRUE(i);
  EXPECT_EQ(reused(), before);  // nothing left to reuse
  EXPECT_EQ(check(*i), 0u);
}

TEST_F(RecyclingTest, ReuseAppliesTheNewCallersLimitsAndImports) {
  create().reset();  // parked
  Limits tight;
  tight.max_memory_bytes = 1;  // less than the module's one page: refused as for a new instance
  auto refused = Instance::create(*module, host, tight);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::memory_limit);

  create().reset();
  auto unlinked = Instance::create(*module, HostFunctions{}, {});
  ASSERT_FALSE(unlinked);
  EXPECT_EQ(unlinked.error().code, Errc::unknown_import);

  create().reset();
  const auto before = reused();
  Limits one_page;
  one_page.max_memory_bytes = 65536;
  auto i = create(one_page);
  ASSERT_TRUE(i);
  EXPECT_EQ(reused(), before + 1);
  auto r = call(*i, "dirty");  // memory.grow fails under the new limit: the store past 64 KiB traps
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::trap);
  EXPECT_EQ(i->memory().size(), 65536u);
}

}  // namespace
}  // namespace airssys::wasm
