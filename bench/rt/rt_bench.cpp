// rt_bench: the actor runtime measured end to end through the public API, on 2 workers.
// Each batch is started by the benchmark thread and awaited until the last message is handled,
// so reported time per iteration is time per operation (KeepRunningBatch).
// The same workloads on CAF 0.17 are in bench/caf; scripts/bench-rt prints both side by side.
#include <benchmark/benchmark.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <vector>

#include <airssys/rt/system.hpp>

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;

namespace {
constexpr std::size_t kWorkers = 2;

// A one-shot signal the benchmark thread waits on (spins briefly, then futex).
struct Done {
  std::atomic<int> flag{0};
  void set() {
    flag.store(1, std::memory_order_release);
    flag.notify_one();
  }
  void wait() {
    for (int i = 0; i < 256 && !flag.load(std::memory_order_acquire); ++i) __builtin_ia32_pause();
    while (!flag.load(std::memory_order_acquire)) flag.wait(0);
    flag.store(0, std::memory_order_relaxed);
  }
};

// ------------------------------------------------------------------ BM_Spawn
struct OneShot : Actor {
  std::atomic<int>* left;
  Done* done;
  OneShot(std::atomic<int>* l, Done* d) : left(l), done(d) {}
  void receive(Message&) override {
    if (left->fetch_sub(1, std::memory_order_acq_rel) == 1) done->set();
    stop();
  }
};

void BM_Spawn(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  constexpr int batch = 1000;
  std::atomic<int> left{0};
  Done done;
  while (state.KeepRunningBatch(batch)) {
    left = batch;
    for (int i = 0; i < batch; ++i) {
      auto ref = sys.spawn([&] { return std::make_unique<OneShot>(&left, &done); });
      (void)ref->tell(1);
    }
    done.wait();
  }
}
BENCHMARK(BM_Spawn)->UseRealTime();

// ------------------------------------------------------------------ BM_PingPong
struct Ball {
  int left;
};
struct Player : Actor {
  ActorRef peer;
  Done* done;
  explicit Player(Done* d) : done(d) {}
  void receive(Message& m) override {
    if (auto* p = m.get_if<ActorRef>()) {
      peer = *p;
      return;
    }
    auto b = m.get<Ball>();
    if (b.left == 0) {
      done->set();
      return;
    }
    (void)peer.tell(Ball{b.left - 1});
  }
};

void BM_PingPong(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  Done done;
  auto a = sys.spawn<Player>(&done).value();
  auto b = sys.spawn<Player>(&done).value();
  (void)a.tell(b);
  (void)b.tell(a);
  constexpr int batch = 10000;  // round trips
  while (state.KeepRunningBatch(batch)) {
    (void)a.tell(Ball{2 * batch});
    done.wait();
  }
}
BENCHMARK(BM_PingPong)->UseRealTime();

// ------------------------------------------------------------------ BM_FanIn
struct Sink : Actor {
  long expected = 0, got = 0;
  Done* done;
  explicit Sink(Done* d) : done(d) {}
  void receive(Message& m) override {
    if (auto* n = m.get_if<long>()) {
      expected = *n;
      got = 0;
      return;
    }
    if (++got == expected) done->set();
  }
};
struct Source : Actor {
  ActorRef sink;
  explicit Source(ActorRef s) : sink(std::move(s)) {}
  void receive(Message& m) override {
    const int n = m.get<int>();
    for (int i = 0; i < n; ++i) (void)sink.tell(i);
  }
};

void BM_FanIn(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  Done done;
  auto sink = sys.spawn<Sink>(&done).value();
  std::vector<ActorRef> sources;
  for (int i = 0; i < 4; ++i) sources.push_back(sys.spawn<Source>(sink).value());
  constexpr int per_source = 25000;
  constexpr int batch = 4 * per_source;
  while (state.KeepRunningBatch(batch)) {
    (void)sink.tell(long{batch});
    for (auto& s : sources) (void)s.tell(per_source);
    done.wait();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FanIn)->UseRealTime();

// ------------------------------------------------------------------ BM_BrokerPublish
// Counts its deliveries locally and reports once per batch (as the CAF anchor does), so the
// shared counter is not what is measured.
struct Subscriber : Actor {
  static constexpr int kPerBatch = 100;  // publishes per batch
  std::atomic<long>* subscribers_left;
  Done* done;
  int got = 0;
  Subscriber(std::atomic<long>* l, Done* d) : subscribers_left(l), done(d) {}
  void receive(Message&) override {
    if (++got < kPerBatch) return;
    got = 0;
    if (subscribers_left->fetch_sub(1, std::memory_order_acq_rel) == 1) done->set();
  }
};
struct Publisher : Actor {
  void receive(Message& m) override {
    const int n = m.get<int>();
    for (int i = 0; i < n; ++i) system().broker().publish("bench.topic", i);
  }
};

void BM_BrokerPublish(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  constexpr int subscribers = 100, publishes = 100;
  std::atomic<long> left{0};
  Done done;
  for (int i = 0; i < subscribers; ++i)
    (void)sys.broker().subscribe("bench.topic", sys.spawn<Subscriber>(&left, &done).value());
  auto pub = sys.spawn<Publisher>().value();
  static_assert(publishes == Subscriber::kPerBatch);
  constexpr int batch = subscribers * publishes;  // deliveries
  while (state.KeepRunningBatch(batch)) {
    left = subscribers;
    (void)pub.tell(publishes);
    done.wait();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BrokerPublish)->UseRealTime();

// ------------------------------------------------------------------ BM_RegistryLookup
struct Idle : Actor {
  void receive(Message&) override {}
};

void BM_RegistryLookup(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  for (int i = 0; i < 100; ++i)
    (void)sys.spawn(ActorFactory([] { return std::make_unique<Idle>(); }),
                    SpawnOptions{"service-" + std::to_string(i), true, {}});
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) names.push_back("service-" + std::to_string(i));
  std::size_t i = 0;
  for (auto _ : state) {  // cycles through all 100 names, as the CAF anchor does
    auto ref = sys.registry().lookup(names[i]);
    benchmark::DoNotOptimize(ref);
    if (++i == names.size()) i = 0;
  }
}
BENCHMARK(BM_RegistryLookup);

// ------------------------------------------------------------------ BM_Ask
struct Server : Actor {
  void receive(Message& m) override { reply(m.get<int>() + 1); }
};
struct Client : Actor {
  ActorRef server;
  Done* done;
  int left = 0;
  Client(ActorRef s, Done* d) : server(std::move(s)), done(d) {}
  void receive(Message& m) override {
    left = m.get<int>();
    next();
  }
  void next() {
    ask<int>(server, left, 5000ms, [this](Result<int> r) {
      if (!r || --left == 0) return done->set();
      next();
    });
  }
};

void BM_Ask(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  Done done;
  auto server = sys.spawn<Server>().value();
  auto client = sys.spawn<Client>(server, &done).value();
  constexpr int batch = 10000;
  while (state.KeepRunningBatch(batch)) {
    (void)client.tell(batch);
    done.wait();
  }
}
BENCHMARK(BM_Ask)->UseRealTime();

// ------------------------------------------------------------------ BM_Restart
struct Fragile : Actor {
  Done* done;
  explicit Fragile(Done* d) : done(d) {}
  void receive(Message& m) override {
    const int v = m.get<int>();
    if (v < 0) throw std::runtime_error("injected failure");
    if (v == 1) done->set();  // the last message of the batch
  }
};

void BM_Restart(benchmark::State& state) {
  ActorSystem sys({.workers = kWorkers});
  Done done;
  SupervisorSpec spec;
  spec.max_restarts = 1u << 30;
  spec.children.push_back(ChildSpec::worker("fragile", [&] { return std::make_unique<Fragile>(&done); }));
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto child = sys.child(sup, "fragile");
  // A batch queues K (fail, next) pairs: each failure is followed by a restart in place (queued
  // messages kept) and the fresh instance handling the next message — restarts back to back,
  // as in the CAF anchor's chain.
  constexpr int batch = 1000;
  while (state.KeepRunningBatch(batch)) {
    for (int i = 0; i < batch; ++i) {
      (void)child.tell(-1);
      (void)child.tell(i + 1 == batch ? 1 : 2);
    }
    done.wait();
  }
  state.counters["restarts"] = static_cast<double>(sys.stats_of(child)->restarts);
}
BENCHMARK(BM_Restart)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
