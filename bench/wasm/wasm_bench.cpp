// wasm_bench: what the component framework costs.
//   BM_ComponentSpawn              HostSystem::spawn of echo.wasm from the engine's module cache:
//                                  registry entry, supervisor + actor, instantiate (or reuse a
//                                  recycled instance), init, until spawn() returns (stops are
//                                  batched outside the timing)
//   BM_SendThroughput              component -> component sends: blaster sends 1000 messages of
//                                  16 bytes per iteration to a counter that handles each one
//   BM_RequestRoundTrip            component -> component request until handle-response, one at
//                                  a time (pinger -> echo); time per round trip
//   BM_CorrelationRegisterResolve  CorrelationTracker::add + resolve (no guest); counter
//                                  bytes_per_pending = heap growth for 1M pending requests / 1M
//   BM_TimeoutAccuracy             100,000 pending requests with deadlines spread over 10..200 ms
//                                  time out through the one timer, while another thread
//                                  registers and answers requests; p50/p99/max lateness
//   BM_IdleComponents              10,000 idle echo components; rss_per_component = RSS growth / N
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <airssys/wasm/host_system.hpp>

using namespace airssys;
using namespace airssys::wasm;
using namespace std::chrono_literals;

namespace {

std::string guest(const char* name) { return std::string(AIRSSYS_GUEST_DIR) + "/" + name + ".wasm"; }
abi::Bytes bytes(std::string_view s) { return abi::Bytes(s.begin(), s.end()); }

std::unique_ptr<HostSystem> make_host() {
  HostOptions o;
  o.system.workers = 2;
  return HostSystem::create(std::move(o)).value();
}

ComponentSpec spec(std::string address, const char* module, Grants g = {}) {
  ComponentSpec s;
  s.address = std::move(address);
  s.file = guest(module);
  s.grants = std::move(g);
  return s;
}

std::string ask(HostSystem& h, std::string_view to, std::string_view payload) {
  auto r = h.request(to, bytes(payload), 10s).get();
  return r ? std::string(r->begin(), r->end()) : "error:" + std::string(abi::to_string(r.error().kind));
}

std::size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

// Arg 0: minimal.wasm (one page, init does nothing); arg 1: echo.wasm (one page, init logs);
// arg 2: echo.wasm on the AOT tier (native code from the AOT cache, compiled before timing);
// arg 3: echo.wasm with instance recycling off. With recycling on (args 0 and 1), the first
// 1,000 spawns build new instances and later ones mostly reuse the instances of the 1,000
// components stopped (untimed) before them: the steady state of a host whose components come
// and go. Arg 3 is the cost of building every instance from the module.
void BM_ComponentSpawn(benchmark::State& state) {
  const char* name = state.range(0) == 0 ? "minimal" : "echo";
  const bool aot = state.range(0) == 2;
  const bool fresh = state.range(0) == 3;
  state.SetLabel(std::string(name) + (aot ? " aot" : "") + (fresh ? " no recycling" : ""));
  set_instance_recycling(!fresh);
  struct Restore {
    ~Restore() { set_instance_recycling(true); }
  } restore;
  auto host = make_host();
  // minimal.wasm comes from wasm/abi's tests (built with AIRSSYS_BUILD_TESTS, as in the default preset).
  auto loaded = host->engine().load_file(guest(name), aot ? Tier::aot : Tier::interp);
  if (!loaded || !host->spawn(spec("bench/warm", name))) {
    state.SkipWithError("cannot load/spawn the guest (is it built?)");
    return;
  }
  auto module = *loaded;  // the cached module
  // Every 1,000 spawns the components are stopped with the timing paused. Stopping is
  // asynchronous: wait until their actors are gone, so that destroying them (on the workers) is
  // not timed as part of the next spawns.
  const auto alive_before = host->actors().stats().actors_alive;
  const auto reused_before = instance_recycling_stats().reused;
  std::vector<std::string> live;
  std::size_t n = 0;
  for (auto _ : state) {
    std::string address = "bench/echo-" + std::to_string(n++);
    ComponentSpec s;
    s.address = address;
    s.module = module;
    if (!host->spawn(std::move(s))) {
      state.SkipWithError("spawn failed");
      break;
    }
    live.push_back(std::move(address));
    if (live.size() == 1000) {
      state.PauseTiming();
      for (auto& a : live) (void)host->stop(a);
      live.clear();
      while (host->actors().stats().actors_alive > alive_before) std::this_thread::sleep_for(100us);
      state.ResumeTiming();
    }
  }
  // Share of the timed spawns that reused a recycled instance instead of building one.
  state.counters["reused"] = static_cast<double>(instance_recycling_stats().reused - reused_before) /
                             static_cast<double>(std::max<std::size_t>(n, 1));
}
BENCHMARK(BM_ComponentSpawn)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_SendThroughput(benchmark::State& state) {
  auto host = make_host();
  Grants g;
  g.send = {"bench/sink"};
  ComponentSpec sink = spec("bench/sink", "counter");
  if (!host->spawn(sink) || !host->spawn(spec("bench/blaster", "blaster", g))) state.SkipWithError("spawn failed");
  constexpr int kBatch = 1000;
  const std::string cmd = "blast bench/sink " + std::to_string(kBatch);
  for (auto _ : state) {
    if (ask(*host, "bench/blaster", cmd) != std::to_string(kBatch)) state.SkipWithError("blast failed");
    benchmark::DoNotOptimize(ask(*host, "bench/sink", "get"));  // queued after the batch: waits for it
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_SendThroughput)->Unit(benchmark::kMillisecond)->UseRealTime();

// Arg 0: both components on the interpreter (the goal's case); arg 1: both on the AOT tier
// (compiled before the timing starts, or found in the AOT cache).
void BM_RequestRoundTrip(benchmark::State& state) {
  const auto tier = state.range(0) == 0 ? ComponentTier::interp : ComponentTier::aot;
  state.SetLabel(std::string(to_string(tier)));
  auto host = make_host();
  Grants g;
  g.request = {"bench/echo"};
  auto echo = spec("bench/echo", "echo");
  auto pinger = spec("bench/pinger", "pinger", g);
  echo.tier = pinger.tier = tier;
  if (!host->spawn(echo) || !host->spawn(pinger))
    state.SkipWithError("spawn failed");
  constexpr int kBatch = 1000;
  const std::string cmd = "go bench/echo " + std::to_string(kBatch);
  for (auto _ : state) {
    (void)ask(*host, "bench/pinger", cmd);
    // Each poll is a message the pinger handles between round trips: sleep about as long as the
    // round trips still to come would take at 1 us each (faster than any measured), so the
    // driver asks ~10 times per batch rather than every 20 us (which took ~10 % of the pinger's
    // time) and still notices the end within one short sleep.
    for (std::string left = ask(*host, "bench/pinger", "left"); left != "0"; left = ask(*host, "bench/pinger", "left")) {
      std::this_thread::sleep_for(std::max<std::chrono::microseconds>(20us, std::chrono::microseconds(std::atoll(left.c_str()))));
    }
  }
  if (ask(*host, "bench/pinger", "errors") != "0") state.SkipWithError("request errors");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
  state.counters["us_per_round_trip"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
      benchmark::Counter::kIs1000);
}
BENCHMARK(BM_RequestRoundTrip)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

struct NullSink final : ResponseSink {
  std::atomic<std::uint64_t> n{0};
  void deliver(abi::Response) override { n.fetch_add(1, std::memory_order_relaxed); }
};

void BM_CorrelationRegisterResolve(benchmark::State& state) {
  // A host always has threads. Until a process starts its first one, glibc and libstdc++ run
  // shared_ptr counts and mutexes without atomic instructions: run alone, this benchmark would
  // measure that (~40 % less) instead of what a host pays.
  std::thread([] {}).join();
  auto sink = std::make_shared<NullSink>();
  auto target = std::make_shared<const std::string>("bench/target");
  {
    CorrelationTracker t;
    for (auto _ : state) {
      const auto id = t.add(sink, target, 1000ms);
      t.resolve(id, abi::Bytes{});
    }
  }
  // Memory per pending request: heap growth with 1M requests in flight.
  constexpr std::size_t kPending = 1'000'000;
  malloc_trim(0);
  const auto before = mallinfo2().uordblks + mallinfo2().hblkhd;  // hblkhd: mmap'ed blocks
  auto t = std::make_unique<CorrelationTracker>();
  for (std::size_t i = 0; i < kPending; ++i) t->add(sink, target, 60'000ms);
  const auto after = mallinfo2().uordblks + mallinfo2().hblkhd;
  state.counters["bytes_per_pending"] = static_cast<double>(after - before) / kPending;
  state.counters["slot_bytes"] = static_cast<double>(CorrelationTracker::bytes_per_slot());
}
BENCHMARK(BM_CorrelationRegisterResolve);

struct LatenessSink final : ResponseSink {
  std::chrono::steady_clock::time_point start;
  std::vector<std::int64_t>* deadline_us;  // by slot order; filled before the deliveries
  std::unordered_map<std::uint64_t, std::size_t>* index;
  std::vector<double> late_ms;
  std::mutex mutex;
  void deliver(abi::Response r) override {
    const auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(mutex);
    const auto i = index->at(r.correlation);
    late_ms.push_back(static_cast<double>(now_us - (*deadline_us)[i]) / 1000.0);
  }
};

void BM_TimeoutAccuracy(benchmark::State& state) {
  constexpr std::size_t kPending = 100'000;
  for (auto _ : state) {
    rt::ActorSystem sys(rt::SystemOptions{2});
    CorrelationTracker t([&sys](auto when, std::function<void()> fn) { sys.call_at(when, std::move(fn)); });
    auto sink = std::make_shared<LatenessSink>();
    std::vector<std::int64_t> deadline_us(kPending);
    std::unordered_map<std::uint64_t, std::size_t> index;
    index.reserve(kPending);
    sink->deadline_us = &deadline_us;
    sink->index = &index;
    sink->late_ms.reserve(kPending);
    auto target = std::make_shared<const std::string>("bench/target");
    // add() may run an overdue tick and deliver on this thread: never hold the sink's mutex
    // across it. Deadlines are >= 10 ms away, so an id is indexed long before it can time out.
    sink->start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kPending; ++i) {
      const auto timeout = std::chrono::milliseconds(10 + (i % 191));
      const auto at = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - sink->start);
      deadline_us[i] = (at + timeout).count();
      const auto id = t.add(sink, target, timeout);
      std::lock_guard lock(sink->mutex);
      index.emplace(id, i);
    }
    // Load beside it: another thread registers and answers requests all along.
    std::atomic<bool> stop{false};
    auto other = std::make_shared<NullSink>();
    std::thread load([&] {
      while (!stop.load()) {
        for (int i = 0; i < 1000; ++i) t.resolve(t.add(other, target, 1000ms), abi::Bytes{});
        std::this_thread::yield();
      }
    });
    while (t.pending() > 0) std::this_thread::sleep_for(5ms);
    stop = true;
    load.join();
    sys.shutdown();
    auto& v = sink->late_ms;
    std::sort(v.begin(), v.end());
    state.counters["p50_late_ms"] = v[v.size() / 2];
    state.counters["p99_late_ms"] = v[v.size() * 99 / 100];
    state.counters["max_late_ms"] = v.back();
    state.counters["timed_out"] = static_cast<double>(v.size());
  }
}
BENCHMARK(BM_TimeoutAccuracy)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// Arg 0: minimal.wasm (one 64 KiB page, the contract's smallest module); arg 1: echo.wasm
// (two pages: the SDK's 64 KiB shadow stack + data).
void BM_IdleComponents(benchmark::State& state) {
  constexpr int kComponents = 10'000;
  const char* name = state.range(0) == 0 ? "minimal" : "echo";
  state.SetLabel(name);
  for (auto _ : state) {
    auto host = make_host();
    auto loaded = host->engine().load_file(guest(name));
    if (!loaded || !host->spawn(spec("bench/warm", name))) {
      state.SkipWithError("cannot load/spawn the guest (is it built?)");
      break;
    }
    auto module = *loaded;
    malloc_trim(0);
    const auto before = rss_bytes();
    for (int i = 0; i < kComponents; ++i) {
      ComponentSpec s;
      s.address = "bench/idle-" + std::to_string(i);
      s.module = module;
      if (!host->spawn(std::move(s))) {
        state.SkipWithError("spawn failed");
        break;
      }
    }
    std::this_thread::sleep_for(100ms);
    const auto spawned = rss_bytes();
    // Idle for two sweeps of HostOptions::idle_release (1 s): every component has given back the
    // zero pages of its memory. Both figures are reported.
    std::this_thread::sleep_for(2 * HostOptions{}.idle_release + 300ms);
    const auto after = rss_bytes();
    state.counters["rss_per_component_at_spawn"] = static_cast<double>(spawned - before) / kComponents;
    state.counters["rss_per_component"] = static_cast<double>(after - before) / kComponents;
    state.counters["components"] = kComponents;
    if (!host->request("bench/idle-9999", bytes("still here"), 10s).get()) state.SkipWithError("idle component lost");
  }
}
BENCHMARK(BM_IdleComponents)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
