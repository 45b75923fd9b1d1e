// WASI preview 1 host functions (wasm/wasi), called the way the engine calls them (the bound
// HostFunc with a CallContext over a linear memory), without the interpreter around them:
//   BM_WasiFdWriteLine    fd_write(1, one iovec, a 40-byte line ending in '\n'): bounds checks,
//                         line split, rate-limit bucket, the line hook (a counter here)
//   BM_WasiClockTimeGet   clock_time_get(monotonic) into guest memory
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include <airssys/wasm/wasi.hpp>

using namespace airssys::wasm;

namespace {

class BenchContext final : public CallContext {
 public:
  explicit BenchContext(wasi::State& s) : state(s), mem(65536) {}
  std::span<std::uint8_t> memory() override { return mem; }
  airssys::Result<std::vector<Value>> call(std::string_view, std::span<const Value>) override { return {}; }
  void* user_data() override { return &state; }
  wasi::State& state;
  std::vector<std::uint8_t> mem;
};

const HostFunctions& wasi_functions() {
  static const HostFunctions f = [] {
    HostFunctions h;
    wasi::define(h, [](CallContext& c) { return static_cast<wasi::State*>(c.user_data()); });
    return h;
  }();
  return f;
}

void BM_WasiFdWriteLine(benchmark::State& st) {
  std::uint64_t lines = 0;
  wasi::Options o{.name = "bench/wasi"};
  o.max_lines_per_second = 200'000'000;  // the bucket runs, but never drops
  o.line_burst = 200'000'000;
  auto state = wasi::State::create(o, {.line = [&](wasi::Stream, std::string_view) { ++lines; }}).value();
  BenchContext ctx(*state);
  const char line[] = "hello from a plain C component, line 1\n";
  std::memcpy(ctx.mem.data() + 64, line, sizeof line - 1);
  const std::uint32_t iov[2] = {64, sizeof line - 1};
  std::memcpy(ctx.mem.data(), iov, sizeof iov);
  const auto* fd_write = wasi_functions().find(wasi::kModule, "fd_write");
  const Value args[4] = {Value::i32(1), Value::i32(0), Value::i32(1), Value::i32(16)};
  Value result;
  for (auto _ : st) {
    (void)fd_write->fn(ctx, args, std::span<Value>(&result, 1));
    benchmark::DoNotOptimize(result);
  }
  if (lines != static_cast<std::uint64_t>(st.iterations()) || result.u32 != 0) st.SkipWithError("lines lost");
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_WasiFdWriteLine)->Unit(benchmark::kNanosecond);

void BM_WasiClockTimeGet(benchmark::State& st) {
  auto state = wasi::State::create({.name = "bench/wasi"}).value();
  BenchContext ctx(*state);
  const auto* clock = wasi_functions().find(wasi::kModule, "clock_time_get");
  const Value args[3] = {Value::i32(1), Value::i64(1), Value::i32(8)};
  Value result;
  for (auto _ : st) {
    (void)clock->fn(ctx, args, std::span<Value>(&result, 1));
    benchmark::DoNotOptimize(ctx.mem.data());
  }
  if (result.u32 != 0) st.SkipWithError("clock_time_get failed");
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_WasiClockTimeGet)->Unit(benchmark::kNanosecond);

}  // namespace
