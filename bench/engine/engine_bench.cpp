// Layer-1 costs: instantiate from a cached module, call overheads, interpreter vs native speed.
// Run: scripts/bench-engine (adds the V8 comparison), or engine_bench --benchmark_format=json.
#include <cstdlib>

#include <benchmark/benchmark.h>

#include <airssys/wasm/engine.hpp>

extern "C" unsigned fib(unsigned n);

namespace airssys::wasm {
namespace {

constexpr unsigned kFibN = 25;

std::shared_ptr<const Module> load(Engine& engine, const std::string& path, Tier tier = Tier::interp) {
  auto m = engine.load_file(path, tier);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.error().message().c_str());
    std::abort();
  }
  return *m;
}

std::unique_ptr<Instance> instantiate(const Module& m, const HostFunctions& host = {}) {
  auto i = Instance::create(m, host, Limits{});
  if (!i) {
    std::fprintf(stderr, "%s\n", i.error().message().c_str());
    std::abort();
  }
  return std::move(*i);
}

HostFunctions host_with_now() {
  HostFunctions host;
  host.define("airssys:component/messaging@0.1.0", "send", {{ValType::i32, ValType::i32}, {ValType::i32}},
              [](CallContext&, auto, std::span<Value> results) -> Result<void> {
                results[0] = Value::i32(0);
                return {};
              });
  host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto, std::span<Value> results) -> Result<void> {
    results[0] = Value::i64(42);
    return {};
  });
  return host;
}

// The *Aot variants run the same module compiled by the AOT tier (Engine::compile; the shared
// object comes from the cache after the first run, so the setup does not time the compiler).

// Each iteration creates an instance and destroys it. On the interpreter the destroyed instance
// is recycled (reset and reused by the next create) unless recycling is off (*Fresh): the timed
// loop then covers both the reset and the reuse.
void instantiate_bench(benchmark::State& state, Tier tier, bool recycling = true) {
  Engine engine;
  auto m = load(engine, AIRSSYS_ENGINE_MODULES "/empty_page.wasm", tier);  // one 64 KiB page
  set_instance_recycling(recycling);
  for (auto _ : state) {
    auto i = instantiate(*m);
    benchmark::DoNotOptimize(i.get());
  }
  set_instance_recycling(true);
}
void BM_Instantiate(benchmark::State& state) { instantiate_bench(state, Tier::interp); }
void BM_InstantiateFresh(benchmark::State& state) { instantiate_bench(state, Tier::interp, false); }
void BM_InstantiateAot(benchmark::State& state) { instantiate_bench(state, Tier::aot); }
BENCHMARK(BM_Instantiate);
BENCHMARK(BM_InstantiateFresh);
BENCHMARK(BM_InstantiateAot);

void call_empty_bench(benchmark::State& state, Tier tier) {
  Engine engine;
  auto i = instantiate(*load(engine, AIRSSYS_ENGINE_MODULES "/empty_page.wasm", tier));
  for (auto _ : state) {
    auto r = i->call("empty", {});
    benchmark::DoNotOptimize(r);
  }
}
void BM_CallEmpty(benchmark::State& state) { call_empty_bench(state, Tier::interp); }
void BM_CallEmptyAot(benchmark::State& state) { call_empty_bench(state, Tier::aot); }
BENCHMARK(BM_CallEmpty);
BENCHMARK(BM_CallEmptyAot);

void host_call_bench(benchmark::State& state, Tier tier) {
  Engine engine;
  auto i = instantiate(*load(engine, AIRSSYS_ENGINE_MODULES "/host.wasm", tier), host_with_now());
  for (auto _ : state) {
    auto r = i->call("call_host", {});  // guest -> env.now -> guest -> host
    benchmark::DoNotOptimize(r);
  }
}
void BM_HostCall(benchmark::State& state) { host_call_bench(state, Tier::interp); }
void BM_HostCallAot(benchmark::State& state) { host_call_bench(state, Tier::aot); }
BENCHMARK(BM_HostCall);
BENCHMARK(BM_HostCallAot);

void guest_fib_bench(benchmark::State& state, Tier tier) {
  Engine engine;
  auto i = instantiate(*load(engine, AIRSSYS_FIB_WASM, tier));
  Value arg[] = {Value::i32(kFibN)};
  auto check = i->call("fib", arg);
  if (!check || (*check)[0].u32 != fib(kFibN)) {
    state.SkipWithError("guest fib disagrees with native fib");
    return;
  }
  for (auto _ : state) {
    auto r = i->call("fib", arg);
    benchmark::DoNotOptimize(r);
  }
  state.counters["n"] = kFibN;
}
void BM_GuestFib(benchmark::State& state) { guest_fib_bench(state, Tier::interp); }
void BM_GuestFibAot(benchmark::State& state) { guest_fib_bench(state, Tier::aot); }
BENCHMARK(BM_GuestFib)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GuestFibAot)->Unit(benchmark::kMillisecond);

void BM_NativeFib(benchmark::State& state) {
  unsigned n = kFibN;
  for (auto _ : state) {
    benchmark::DoNotOptimize(n);  // opaque input: fib(25) cannot be folded
    unsigned r = fib(n);
    benchmark::DoNotOptimize(r);
  }
  state.counters["n"] = kFibN;
}
BENCHMARK(BM_NativeFib)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace airssys::wasm

BENCHMARK_MAIN();
