// rt_bench_caf: the CAF 0.17 anchor for rt_bench (bench/rt/).
//
// Every benchmark here has the same Google Benchmark name and the same workload as its
// counterpart in rt_bench, written idiomatically for CAF 0.17 (Debian libcaf-dev), so that
// scripts/bench-rt can put both side by side. Rules shared by all workloads:
//   * one actor system per benchmark run, scheduler with 2 worker threads
//     ("scheduler.max-threads" = 2, the machine's cores), CAF's default work-stealing policy;
//   * `while (state.KeepRunningBatch(K))`: one batch = K operations, so the reported time per
//     iteration is the time per operation (round trip, message, delivery, actor, ...);
//   * the main thread starts a batch with one message (or, for BM_Spawn, by spawning) and
//     blocks on a Gate until the actor that completes the batch opens it; everything in
//     between is actor-to-actor traffic on the 2 workers;
//   * wall-clock time (UseRealTime): the work happens on the workers, not on the main thread;
//   * counts are checked inside the benchmark; a mismatch or a stuck batch ends the
//     benchmark with SkipWithError.
#include <benchmark/benchmark.h>

#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using go_atom = caf::atom_constant<caf::atom("b_go")>;
using ping_atom = caf::atom_constant<caf::atom("b_ping")>;
using pong_atom = caf::atom_constant<caf::atom("b_pong")>;
using work_atom = caf::atom_constant<caf::atom("b_work")>;
using pub_atom = caf::atom_constant<caf::atom("b_pub")>;
using ask_atom = caf::atom_constant<caf::atom("b_ask")>;
using count_atom = caf::atom_constant<caf::atom("b_count")>;
using stop_atom = caf::atom_constant<caf::atom("b_stop")>;

constexpr int kWorkers = 2;
constexpr auto kBatchTimeout = std::chrono::seconds(60);

struct BenchConfig : caf::actor_system_config {
  BenchConfig() { set("scheduler.max-threads", kWorkers); }
};

// Where the main thread blocks until the batch is complete, plus the first error an actor
// noticed. The lock/notify happens once per batch, so its cost is amortised away.
class Sync {
 public:
  void arm() {
    std::lock_guard<std::mutex> guard(mutex_);
    open_ = false;
  }
  // Notifies under the lock: once the waiter can see open_, this thread no longer touches
  // the condition variable.
  void open() {
    std::lock_guard<std::mutex> guard(mutex_);
    open_ = true;
    cv_.notify_one();
  }
  // Returns false on timeout (the batch never completed).
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, kBatchTimeout, [this] { return open_; });
  }
  void fail(std::string message) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (error_.empty()) error_ = std::move(message);
    failed_.store(true, std::memory_order_release);
    open_ = true;  // never leave the main thread waiting for a batch that went wrong
    cv_.notify_one();  // under the lock, as in open()
  }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string error() {
    std::lock_guard<std::mutex> guard(mutex_);
    return error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<bool> failed_{false};
  std::string error_;
};

// Runs one batch: arms the gate, calls kick(), waits. Returns false (after reporting) if the
// benchmark must stop.
template <class Kick>
bool run_batch(benchmark::State& state, Sync& sync, Kick&& kick) {
  sync.arm();
  kick();
  if (!sync.wait()) {
    state.SkipWithError("batch did not complete within 60 s");
    return false;
  }
  if (sync.failed()) {
    state.SkipWithError(sync.error().c_str());
    return false;
  }
  return true;
}

// Asks `who` for its count (count_atom -> int64_t) from outside the actor system.
int64_t query_count(caf::actor_system& sys, const caf::actor& who) {
  caf::scoped_actor self{sys};
  int64_t result = -1;
  self->request(who, caf::infinite, count_atom::value)
      .receive([&](int64_t n) { result = n; }, [&](caf::error&) { result = -1; });
  return result;
}

void check_count(benchmark::State& state, const char* what, int64_t got, int64_t want) {
  if (state.error_occurred() || got == want) return;
  std::string message = std::string(what) + ": counted " + std::to_string(got) +
                        ", expected " + std::to_string(want);
  state.SkipWithError(message.c_str());
}

// ---------------------------------------------------------------------------------------
// BM_Spawn: per actor: spawn, send it one message, it handles it (counts, the last one of a
// batch opens the gate) and quits. The main thread spawns, as a program using the runtime
// from outside would; BM_SpawnFromActor below is the same with an actor as the spawner.

struct SpawnShared {
  Sync sync;
  std::atomic<int64_t> handled{0};
};

caf::behavior spawn_child(caf::event_based_actor* self, SpawnShared* shared) {
  return {[=](work_atom, int64_t target) {
    if (shared->handled.fetch_add(1, std::memory_order_acq_rel) + 1 == target)
      shared->sync.open();
    self->quit();
  }};
}

void BM_Spawn(benchmark::State& state) {
  constexpr int64_t kActors = 1000;
  // Declared before the actor system: it must outlive every actor that points to it.
  SpawnShared shared;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  int64_t expected = 0;
  while (state.KeepRunningBatch(kActors)) {
    expected += kActors;
    bool ok = run_batch(state, shared.sync, [&] {
      for (int64_t i = 0; i < kActors; ++i) {
        auto child = sys.spawn(spawn_child, &shared);
        caf::anon_send(child, work_atom::value, expected);
      }
    });
    if (!ok) break;
  }
  check_count(state, "handled", shared.handled.load(), expected);
}
BENCHMARK(BM_Spawn)->UseRealTime();

caf::behavior spawner(caf::event_based_actor* self, SpawnShared* shared) {
  return {[=](go_atom, int64_t n, int64_t target) {
    for (int64_t i = 0; i < n; ++i) {
      auto child = self->spawn(spawn_child, shared);
      self->send(child, work_atom::value, target);
    }
  }};
}

void BM_SpawnFromActor(benchmark::State& state) {
  constexpr int64_t kActors = 1000;
  // Declared before the actor system: it must outlive every actor that points to it.
  SpawnShared shared;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto parent = sys.spawn(spawner, &shared);
  int64_t expected = 0;
  while (state.KeepRunningBatch(kActors)) {
    expected += kActors;
    if (!run_batch(state, shared.sync,
                   [&] { caf::anon_send(parent, go_atom::value, kActors, expected); }))
      break;
  }
  caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
  check_count(state, "handled", shared.handled.load(), expected);
}
BENCHMARK(BM_SpawnFromActor)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_PingPong: two actors, K round trips (ping -> pong -> ping) per batch, plain
// asynchronous sends both ways (pong answers by returning a message to the sender).

struct PingState {
  int64_t round_trips = 0;
};

caf::behavior pong_actor(caf::event_based_actor*) {
  return {[](ping_atom, int64_t left) { return caf::make_message(pong_atom::value, left); }};
}

caf::behavior ping_actor(caf::stateful_actor<PingState>* self, caf::actor pong, Sync* sync) {
  return {
      [=](go_atom, int64_t round_trips) { self->send(pong, ping_atom::value, round_trips); },
      [=](pong_atom, int64_t left) {
        ++self->state.round_trips;
        if (left > 1)
          self->send(pong, ping_atom::value, left - 1);
        else
          sync->open();
      },
      [=](count_atom) { return self->state.round_trips; },
  };
}

void BM_PingPong(benchmark::State& state) {
  constexpr int64_t kRoundTrips = 10000;
  // Declared before the actor system: it must outlive every actor that points to it.
  Sync sync;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto pong = sys.spawn(pong_actor);
  auto ping = sys.spawn(ping_actor, pong, &sync);
  int64_t expected = 0;
  while (state.KeepRunningBatch(kRoundTrips)) {
    expected += kRoundTrips;
    if (!run_batch(state, sync, [&] { caf::anon_send(ping, go_atom::value, kRoundTrips); }))
      break;
  }
  check_count(state, "round trips", query_count(sys, ping), expected);
  caf::anon_send_exit(ping, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_PingPong)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_FanIn: 4 senders each send M messages to one receiver that counts them; the batch ends
// when the receiver has all 4*M. Time per message, items = messages.

struct ReceiverState {
  int64_t received = 0;
};

caf::behavior fan_in_receiver(caf::stateful_actor<ReceiverState>* self, Sync* sync,
                              std::atomic<int64_t>* target) {
  return {
      [=](int64_t) {
        auto n = ++self->state.received;
        auto want = target->load(std::memory_order_relaxed);
        if (n == want)
          sync->open();
        else if (n > want)
          sync->fail("fan-in receiver got more messages than were sent");
      },
      [=](count_atom) { return self->state.received; },
  };
}

caf::behavior fan_in_sender(caf::event_based_actor* self, caf::actor receiver) {
  return {[=](go_atom, int64_t n) {
    for (int64_t i = 0; i < n; ++i) self->send(receiver, i);
  }};
}

void BM_FanIn(benchmark::State& state) {
  constexpr int64_t kSenders = 4;
  constexpr int64_t kPerSender = 10000;
  // Declared before the actor system: it must outlive every actor that points to it.
  Sync sync;
  std::atomic<int64_t> target{0};
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto receiver = sys.spawn(fan_in_receiver, &sync, &target);
  std::vector<caf::actor> senders;
  for (int64_t i = 0; i < kSenders; ++i) senders.push_back(sys.spawn(fan_in_sender, receiver));
  int64_t expected = 0;
  while (state.KeepRunningBatch(kSenders * kPerSender)) {
    expected += kSenders * kPerSender;
    // Written before the go messages are sent, so the receiver sees it (happens-before
    // through the mailboxes: main -> sender -> receiver).
    target.store(expected, std::memory_order_relaxed);
    if (!run_batch(state, sync, [&] {
          for (auto& s : senders) caf::anon_send(s, go_atom::value, kPerSender);
        }))
      break;
  }
  state.SetItemsProcessed(state.iterations());
  check_count(state, "messages", query_count(sys, receiver), expected);
  for (auto& s : senders) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(receiver, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_FanIn)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_BrokerPublish: 100 subscribers joined to one local CAF group; a publisher actor sends
// P messages to the group; the batch ends when all 100*P deliveries were handled.
// One iteration = one delivery, items = deliveries.

struct BrokerShared {
  Sync sync;
  std::atomic<int64_t> subscribers_left{0};
};

struct SubscriberState {
  int64_t received = 0;
};

caf::behavior subscriber(caf::stateful_actor<SubscriberState>* self, BrokerShared* shared) {
  return {
      [=](pub_atom, int64_t seq, int64_t last_seq) {
        // Messages from one publisher arrive in order: seq must equal the count so far.
        if (self->state.received++ != seq) {
          shared->sync.fail("subscriber saw a lost, duplicated or reordered delivery");
          return;
        }
        if (seq == last_seq &&
            shared->subscribers_left.fetch_sub(1, std::memory_order_acq_rel) == 1)
          shared->sync.open();
      },
      [=](count_atom) { return self->state.received; },
  };
}

caf::behavior publisher(caf::event_based_actor* self, caf::group topic) {
  return {[=](go_atom, int64_t first_seq, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      self->send(topic, pub_atom::value, first_seq + i, first_seq + n - 1);
  }};
}

void BM_BrokerPublish(benchmark::State& state) {
  constexpr int64_t kSubscribers = 100;
  constexpr int64_t kMessages = 100;  // per batch
  // Declared before the actor system: it must outlive every actor that points to it.
  BrokerShared shared;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto topic = sys.groups().anonymous();
  std::vector<caf::actor> subscribers;
  for (int64_t i = 0; i < kSubscribers; ++i)
    subscribers.push_back(sys.spawn_in_group(topic, subscriber, &shared));
  // Every subscriber has joined once it answers (the join happens before it is launched).
  for (auto& s : subscribers) query_count(sys, s);
  auto pub = sys.spawn(publisher, topic);
  int64_t published = 0;
  while (state.KeepRunningBatch(kSubscribers * kMessages)) {
    shared.subscribers_left.store(kSubscribers, std::memory_order_relaxed);
    if (!run_batch(state, shared.sync,
                   [&] { caf::anon_send(pub, go_atom::value, published, kMessages); }))
      break;
    published += kMessages;
  }
  state.SetItemsProcessed(state.iterations());
  for (auto& s : subscribers) {
    if (state.error_occurred()) break;
    check_count(state, "deliveries to one subscriber", query_count(sys, s), published);
  }
  caf::anon_send_exit(pub, caf::exit_reason::user_shutdown);
  for (auto& s : subscribers) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_BrokerPublish)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_RegistryLookup: the actor system's registry (name -> actor, atom keys in 0.17) holds
// 100 of our entries; one iteration = one lookup of an existing key, from the main thread.

caf::behavior idle_actor(caf::event_based_actor*) {
  return {[](int64_t) {}};
}

void BM_RegistryLookup(benchmark::State& state) {
  constexpr int kEntries = 100;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto& registry = sys.registry();
  std::vector<caf::atom_value> keys;
  std::vector<caf::actor> actors;
  for (int i = 0; i < kEntries; ++i) {
    keys.push_back(caf::atom_from_string("bench" + std::to_string(i)));
    actors.push_back(sys.spawn(idle_actor));
    registry.put(keys.back(), actors.back());
  }
  int64_t misses = 0;
  while (state.KeepRunningBatch(kEntries)) {
    for (auto key : keys) {
      auto hit = registry.get(key);
      misses += !hit;
      benchmark::DoNotOptimize(hit);
    }
  }
  if (misses != 0) check_count(state, "registry misses", misses, 0);
  for (int i = 0; i < kEntries; ++i) {
    registry.erase(keys[i]);
    caf::anon_send_exit(actors[i], caf::exit_reason::user_shutdown);
  }
}
BENCHMARK(BM_RegistryLookup)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_Ask: request-response between two actors: the client does
// request(server, infinite, ask, x).then(...) K times in sequence, each after the previous
// response arrived. Time per round trip.

struct ClientState {
  caf::actor server;
  int64_t left = 0;
  int64_t answered = 0;
  int64_t next = 0;
};

using client_actor = caf::stateful_actor<ClientState>;

void ask_next(client_actor* self, Sync* sync) {
  auto x = self->state.next;
  self->request(self->state.server, caf::infinite, ask_atom::value, x)
      .then(
          [=](int64_t reply) {
            if (reply != x + 1) {
              sync->fail("ask: wrong reply");
              return;
            }
            ++self->state.answered;
            ++self->state.next;
            if (--self->state.left > 0)
              ask_next(self, sync);
            else
              sync->open();
          },
          [=](caf::error&) { sync->fail("ask: request failed"); });
}

caf::behavior ask_server(caf::event_based_actor*) {
  return {[](ask_atom, int64_t x) { return x + 1; }};
}

caf::behavior ask_client(client_actor* self, caf::actor server, Sync* sync) {
  self->state.server = std::move(server);
  return {
      [=](go_atom, int64_t n) {
        self->state.left = n;
        ask_next(self, sync);
      },
      [=](count_atom) { return self->state.answered; },
  };
}

void BM_Ask(benchmark::State& state) {
  constexpr int64_t kRequests = 1000;
  // Declared before the actor system: it must outlive every actor that points to it.
  Sync sync;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto server = sys.spawn(ask_server);
  auto client = sys.spawn(ask_client, server, &sync);
  int64_t expected = 0;
  while (state.KeepRunningBatch(kRequests)) {
    expected += kRequests;
    if (!run_batch(state, sync, [&] { caf::anon_send(client, go_atom::value, kRequests); }))
      break;
  }
  check_count(state, "answered requests", query_count(sys, client), expected);
  caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_Ask)->UseRealTime();

// ---------------------------------------------------------------------------------------
// BM_Restart: CAF has no supervisors. What this emulates is a one-for-one supervisor with
// a permanent child: the supervisor actor spawns the child monitored; the child fails; the
// supervisor's down handler sees the abnormal exit, spawns a fresh child (new actor, fresh
// state), monitors it and sends it its next message. One iteration is one such cycle: from
// the failure until the new child has handled its next message. The message the new child
// handles is the one that makes it fail again, so the cycles chain without extra traffic;
// the last child of a batch does not fail but opens the gate.
// How the child fails: in BM_Restart its handler throws std::runtime_error, as the failing
// actor in rt_bench does; CAF's exception handler turns that into an exit with an error
// (ours does so silently: CAF's default one prints every exception to stdout, which is not
// part of a restart). BM_RestartQuit is the same without the exception: the child quits
// with sec::runtime_error itself.

enum class FailBy { exception, quit };

caf::behavior restart_child(caf::event_based_actor* self, Sync* sync, FailBy how) {
  if (how == FailBy::exception)
    self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr&) -> caf::error {
      return caf::make_error(caf::sec::runtime_error);
    });
  return {[=](work_atom, bool fail) {
    if (!fail)
      sync->open();
    else if (how == FailBy::exception)
      throw std::runtime_error("injected failure");
    else
      self->quit(caf::make_error(caf::sec::runtime_error));
  }};
}

struct SupervisorState {
  caf::actor child;
  int64_t left = 0;      // restarts still to do in this batch
  int64_t restarts = 0;  // total
};

caf::behavior supervisor(caf::stateful_actor<SupervisorState>* self, Sync* sync, FailBy how) {
  self->state.child = self->spawn<caf::monitored>(restart_child, sync, how);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    if (down.source != st.child.address()) return;  // an old child, not ours any more
    if (!down.reason || down.reason == caf::exit_reason::user_shutdown) {
      sync->fail("restart: child stopped without a failure");
      return;
    }
    ++st.restarts;
    --st.left;
    st.child = self->spawn<caf::monitored>(restart_child, sync, how);  // fresh actor and state
    self->send(st.child, work_atom::value, st.left > 0);
  });
  return {
      [=](go_atom, int64_t n) {
        self->state.left = n;
        // The first failure of a batch: the child the previous batch ended with (or the
        // first child) gets the message that makes it fail.
        self->send(self->state.child, work_atom::value, true);
      },
      [=](count_atom) { return self->state.restarts; },
      [=](stop_atom) {
        self->demonitor(self->state.child);
        self->send_exit(self->state.child, caf::exit_reason::user_shutdown);
        self->quit();
      },
  };
}

void run_restarts(benchmark::State& state, FailBy how) {
  constexpr int64_t kRestarts = 1000;
  // Declared before the actor system: it must outlive every actor that points to it.
  Sync sync;
  BenchConfig cfg;
  caf::actor_system sys{cfg};
  auto sup = sys.spawn(supervisor, &sync, how);
  int64_t expected = 0;
  while (state.KeepRunningBatch(kRestarts)) {
    expected += kRestarts;
    if (!run_batch(state, sync, [&] { caf::anon_send(sup, go_atom::value, kRestarts); }))
      break;
  }
  check_count(state, "restarts", query_count(sys, sup), expected);
  caf::anon_send(sup, stop_atom::value);
}

void BM_Restart(benchmark::State& state) {
  run_restarts(state, FailBy::exception);
}
BENCHMARK(BM_Restart)->UseRealTime();

void BM_RestartQuit(benchmark::State& state) {
  run_restarts(state, FailBy::quit);
}
BENCHMARK(BM_RestartQuit)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
