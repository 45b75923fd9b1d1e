// abi_bench: what the canonical ABI costs the host.
//   BM_Lift1KiB             lower a message with a 1 KiB payload into guest memory and lift it
//                           back (host side only: a vector stands in for the guest's memory)
//   BM_EchoHandleMessage/N  the full path through echo.wasm in the interpreter: lower (cabi_realloc
//                           calls), handle-message, lift the result, post-return
//   BM_HealthCall           one export call with no ABI work: the call cost to subtract
//   BM_ReallocCall          one cabi_realloc call (lowering makes one per string/list)
//   BM_ImportSelfAddress    a guest calling an import that returns a string (allocated through
//                           the guest's cabi_realloc from inside the host function)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include <airssys/wasm/abi/component.hpp>
#include <airssys/wasm/abi/lift.hpp>

#include "test_host.hpp"
#include "vector_allocator.hpp"

using namespace airssys::wasm;
using namespace airssys::wasm::abi;

namespace {

Message message_of(std::size_t payload_size) {
  Message m{"bench/sender", Bytes(payload_size), std::string("raw"), 7, std::nullopt};
  for (std::size_t i = 0; i < payload_size; ++i) m.payload[i] = static_cast<std::uint8_t>(i);
  return m;
}

void BM_Lift1KiB(benchmark::State& state) {
  const Message m = message_of(1024);
  testing::VectorAllocator alloc(64 * 1024);
  std::vector<Value> flat;
  for (auto _ : state) {
    alloc.next = 64;  // reuse the same memory: measure copying, not growth
    flat.clear();
    if (!lower_message(alloc, m, flat)) state.SkipWithError("lower failed");
    auto back = lift_message(alloc.memory(), flat);
    if (!back) state.SkipWithError("lift failed");
    benchmark::DoNotOptimize(back);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1024 * 2);
}
BENCHMARK(BM_Lift1KiB);

struct Echo {
  Engine engine;
  testing::TestHost host;
  std::unique_ptr<ComponentInstance> comp;
  explicit Echo(const char* name = "echo") {
    auto module = engine.load_file(std::string(AIRSSYS_GUEST_DIR) + "/" + name + ".wasm");
    if (!module) return;
    auto c = ComponentInstance::create(**module, host, Limits{}, "bench/echo");
    if (!c) return;
    comp = std::move(*c);
    if (!comp->init(Config{"bench/echo", {}, {}})) comp.reset();
  }
};

void BM_EchoHandleMessage(benchmark::State& state) {
  Echo echo;
  if (!echo.comp) return state.SkipWithError("cannot start echo.wasm");
  const Message m = message_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = echo.comp->handle_message(m);
    if (!r || !*r || !**r || (***r).size() != m.payload.size()) state.SkipWithError("echo failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EchoHandleMessage)->Arg(0)->Arg(1024)->Arg(64 * 1024);

void BM_HealthCall(benchmark::State& state) {
  Echo echo;
  if (!echo.comp) return state.SkipWithError("cannot start echo.wasm");
  for (auto _ : state) {
    auto h = echo.comp->health();
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_HealthCall);

void BM_ReallocCall(benchmark::State& state) {
  Echo echo;
  if (!echo.comp) return state.SkipWithError("cannot start echo.wasm");
  const Value alloc[4] = {Value::i32(0), Value::i32(0), Value::i32(1), Value::i32(16)};
  std::size_t n = 0;
  for (auto _ : state) {
    auto p = echo.comp->instance().call("cabi_realloc", alloc);
    if (!p) return state.SkipWithError("cabi_realloc failed");
    benchmark::DoNotOptimize(p);
    if (++n % 100 == 0) {
      // Arguments live until the call they are for is over: a call (untimed) releases them, as
      // one would after every lowering.
      state.PauseTiming();
      (void)echo.comp->health();
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_ReallocCall)->Iterations(200000);

void BM_ImportSelfAddress(benchmark::State& state) {
  Echo echo("echo_cpp");  // "whoami" calls messaging.self-address
  if (!echo.comp) return state.SkipWithError("cannot start echo_cpp.wasm");
  const Message m{"bench/sender", Bytes{'w', 'h', 'o', 'a', 'm', 'i'}, {}, {}, {}};
  for (auto _ : state) {
    auto r = echo.comp->handle_message(m);
    if (!r || !*r || !**r) state.SkipWithError("whoami failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ImportSelfAddress);

}  // namespace


