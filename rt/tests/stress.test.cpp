#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::eventually;

namespace {
struct Tagged {
  int sender;
  int seq;
};
struct Checker : Actor {
  std::vector<int>* next;  // per sender: the next expected sequence number
  std::atomic<long>* total;
  std::atomic<int>* errors;
  Checker(std::vector<int>* n, std::atomic<long>* t, std::atomic<int>* e) : next(n), total(t), errors(e) {}
  void receive(Message& m) override {
    auto& t = m.get<Tagged>();
    if ((*next)[t.sender] != t.seq) ++*errors;  // lost, duplicated or reordered
    (*next)[t.sender] = t.seq + 1;
    ++*total;
  }
};
}  // namespace

TEST(Stress, EightSendersHundredThousandEachNothingLostOrDuplicated) {
  constexpr int senders = 8, per_sender = 100'000;
  ActorSystem sys({.workers = 2});
  std::vector<int> next(senders, 0);
  std::atomic<long> total{0};
  std::atomic<int> errors{0};
  auto ref = sys.spawn<Checker>(&next, &total, &errors).value();
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&, s] {
      for (int i = 0; i < per_sender; ++i) ASSERT_TRUE(ref.tell(Tagged{s, i}));
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(eventually([&] { return total == long(senders) * per_sender; }, 60s));
  EXPECT_EQ(errors.load(), 0);
  for (int s = 0; s < senders; ++s) EXPECT_EQ(next[s], per_sender);
}

TEST(Stress, RestartStormLosesNoMessageOfHealthyNeighbours) {
  struct Flaky : Actor {
    void receive(Message& m) override {
      if (m.get<int>() % 3 == 0) throw std::runtime_error("flaky");
    }
  };
  struct Steady : Actor {
    std::atomic<long>* n;
    explicit Steady(std::atomic<long>* c) : n(c) {}
    void receive(Message&) override { ++*n; }
  };
  ActorSystem sys({.workers = 2});
  std::atomic<long> steady_count{0};
  SupervisorSpec spec;
  spec.max_restarts = 1'000'000;
  spec.within = 1s;
  for (int i = 0; i < 4; ++i) spec.children.push_back(ChildSpec::worker("flaky" + std::to_string(i), [] { return std::make_unique<Flaky>(); }));
  spec.children.push_back(ChildSpec::worker("steady", [&] { return std::make_unique<Steady>(&steady_count); }));
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto steady = sys.child(sup, "steady");
  std::vector<ActorRef> flaky;
  for (int i = 0; i < 4; ++i) flaky.push_back(sys.child(sup, "flaky" + std::to_string(i)));
  constexpr int rounds = 20'000;
  std::thread storm([&] {
    for (int i = 0; i < rounds; ++i)
      for (auto& f : flaky) (void)f.tell(i);
  });
  for (int i = 0; i < rounds; ++i) ASSERT_TRUE(steady.tell(i));
  storm.join();
  ASSERT_TRUE(eventually([&] { return steady_count == rounds; }, 60s));
  EXPECT_TRUE(sup.alive());
  EXPECT_TRUE(eventually([&] { return sys.stats().restarts > 20'000u; }, 60s)) << sys.stats().restarts;
  EXPECT_EQ(sys.stats_of(steady)->restarts, 0u);
}

TEST(Stress, ShutdownUnderLoadNeverHangsAndAnswersEveryAsk) {
  struct Echo : Actor {
    void receive(Message& m) override {
      if (m.is_request()) reply(m.get<int>());
    }
  };
  std::atomic<int> answered{0}, asked{0};
  std::atomic<bool> stop_senders{false};
  std::vector<std::thread> threads;
  {
    ActorSystem sys({.workers = 2});
    std::vector<ActorRef> echoes;
    for (int i = 0; i < 50; ++i) echoes.push_back(sys.spawn<Echo>().value());
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; !stop_senders; ++i) {
          ++asked;
          auto r = echoes[(i + t) % echoes.size()].ask<int>(i, 5s).get();  // reply or error, never silence
          (void)r;
          ++answered;
        }
      });
    std::this_thread::sleep_for(100ms);
    sys.shutdown();
    stop_senders = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(sys.stats().actors_alive, 0u);
  }
  EXPECT_EQ(asked.load(), answered.load());
}

TEST(Stress, AFloodedActorDoesNotStarveOthersOnItsWorker) {
  // One worker. The flooded actor's first message holds it until the whole flood and the other
  // actor's request are queued; from then on it keeps rescheduling itself, and the request must
  // be answered after about one of its turns, not after the flood (turns yield to the queue).
  struct Busy : Actor {
    std::atomic<long>* handled;
    std::atomic<bool>* gate;
    Busy(std::atomic<long>* h, std::atomic<bool>* g) : handled(h), gate(g) {}
    void receive(Message&) override {
      while (!gate->load()) std::this_thread::yield();
      handled->fetch_add(1, std::memory_order_relaxed);
    }
  };
  struct Echo : Actor {  // answers with how much of the flood was handled before it got its turn
    std::atomic<long>* flood_handled;
    explicit Echo(std::atomic<long>* h) : flood_handled(h) {}
    void receive(Message&) override { reply(flood_handled->load()); }
  };
  constexpr long flood = 100'000;
  std::atomic<long> handled{0};  // declared before the system: it drains the flood at shutdown
  std::atomic<bool> gate{false};
  ActorSystem sys({.workers = 1});
  auto busy = sys.spawn<Busy>(&handled, &gate).value();
  auto echo = sys.spawn<Echo>(&handled).value();
  for (long i = 0; i < flood; ++i) ASSERT_TRUE(busy.tell(1));
  auto future = echo.ask<long>(7, std::chrono::seconds(30));
  gate = true;
  auto answer = future.get();
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_LT(*answer, 1000) << "the request waited behind the flood";
}
