#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <mutex>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::Counter;
using test::eventually;

TEST(Registry, RegisterLookupAndReleaseOnStop) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn_with<Counter>(SpawnOptions{"db", true, {}}, &n).value();
  EXPECT_EQ(sys.registry().lookup("db"), ref);
  EXPECT_FALSE(sys.registry().lookup("nope"));
  auto dup = sys.spawn_with<Counter>(SpawnOptions{"db", true, {}}, &n);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::name_taken);
  sys.stop(ref);
  ASSERT_TRUE(eventually([&] { return !sys.registry().lookup("db"); }));
  EXPECT_TRUE(sys.spawn_with<Counter>(SpawnOptions{"db", true, {}}, &n));
}

TEST(Registry, RejectsEmptyNamesAndStoppedActors) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  EXPECT_EQ(sys.registry().register_name("", ref).error().code, Errc::invalid_argument);
  sys.stop(ref);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  EXPECT_EQ(sys.registry().register_name("x", ref).error().code, Errc::actor_stopped);
}

TEST(Broker, PatternMatching) {
  EXPECT_TRUE(MessageBroker::matches("a.b.c", "a.b.c"));
  EXPECT_TRUE(MessageBroker::matches("a/b/c", "a.b/c"));
  EXPECT_TRUE(MessageBroker::matches("a.*.c", "a.x.c"));
  EXPECT_FALSE(MessageBroker::matches("a.*.c", "a.x.y.c"));
  EXPECT_FALSE(MessageBroker::matches("a.*", "a"));
  EXPECT_TRUE(MessageBroker::matches("a.#", "a"));
  EXPECT_TRUE(MessageBroker::matches("a.#", "a.b.c.d"));
  EXPECT_TRUE(MessageBroker::matches("#", "anything.at.all"));
  EXPECT_FALSE(MessageBroker::matches("a.b", "a.b.c"));
  EXPECT_FALSE(MessageBroker::matches("a.b.c", "a.b"));
  EXPECT_TRUE(MessageBroker::matches("*.*", "x.y"));
  EXPECT_FALSE(MessageBroker::valid_pattern("a.#.b"));
  EXPECT_FALSE(MessageBroker::valid_pattern("a..b"));
  EXPECT_FALSE(MessageBroker::valid_pattern("a.b*"));
  EXPECT_FALSE(MessageBroker::valid_pattern(""));
  EXPECT_TRUE(MessageBroker::valid_pattern("a.*.#"));
}

namespace {
struct Sink : Actor {
  std::mutex* m;
  std::map<std::string, std::vector<int>>* got;
  Sink(std::mutex* mu, std::map<std::string, std::vector<int>>* g) : m(mu), got(g) {}
  void receive(Message& msg) override {
    if (auto* p = msg.get_if<Publication<int>>()) {
      std::lock_guard lock(*m);
      (*got)[p->topic()].push_back(p->value());
    }
  }
};
}  // namespace

TEST(Broker, DeliversToMatchingSubscribersInPublisherOrder) {
  ActorSystem sys({.workers = 2});
  std::mutex m;
  std::map<std::string, std::vector<int>> exact, star, hash;
  auto a = sys.spawn<Sink>(&m, &exact).value();
  auto b = sys.spawn<Sink>(&m, &star).value();
  auto c = sys.spawn<Sink>(&m, &hash).value();
  ASSERT_TRUE(sys.broker().subscribe("sensors.temp.kitchen", a));
  ASSERT_TRUE(sys.broker().subscribe("sensors.*.kitchen", b));
  ASSERT_TRUE(sys.broker().subscribe("sensors/#", c));
  EXPECT_EQ(sys.broker().subscribe("bad.#.x", c).error().code, Errc::invalid_argument);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(sys.broker().publish("sensors.temp.kitchen", i), 3u);
    EXPECT_EQ(sys.broker().publish("sensors.humidity.attic", i), 1u);
  }
  EXPECT_EQ(sys.broker().publish("other", 1), 0u);
  sys.shutdown();
  std::vector<int> expected(1000);
  for (int i = 0; i < 1000; ++i) expected[i] = i;
  EXPECT_EQ(exact["sensors.temp.kitchen"], expected);
  EXPECT_EQ(star["sensors.temp.kitchen"], expected);
  EXPECT_EQ(hash["sensors.temp.kitchen"], expected);
  EXPECT_EQ(hash["sensors.humidity.attic"], expected);
  EXPECT_EQ(star.count("sensors.humidity.attic"), 0u);
}

TEST(Broker, UnsubscribeAndAutomaticCleanupOnStop) {
  ActorSystem sys({.workers = 2});
  std::mutex m;
  std::map<std::string, std::vector<int>> got;
  auto a = sys.spawn<Sink>(&m, &got).value();
  ASSERT_TRUE(sys.broker().subscribe("t", a));
  ASSERT_TRUE(sys.broker().subscribe("t.#", a));
  EXPECT_TRUE(sys.broker().unsubscribe("t", a));
  EXPECT_FALSE(sys.broker().unsubscribe("t", a));
  EXPECT_EQ(sys.broker().publish("t", 1), 1u);  // via t.#
  sys.stop(a);
  ASSERT_TRUE(eventually([&] { return sys.broker().subscriptions() == 0; }));
  EXPECT_EQ(sys.broker().publish("t", 2), 0u);
}

TEST(Registry, CachedLookupsSeeEveryChangeFromAnyThread) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto first = sys.spawn<Counter>(&n).value();
  auto second = sys.spawn<Counter>(&n).value();
  auto& reg = sys.registry();
  ASSERT_TRUE(reg.register_name("svc", first));
  for (int round = 0; round < 200; ++round) {
    const ActorRef& expected = round % 2 ? second : first;
    EXPECT_EQ(reg.lookup("svc"), expected);  // this thread's cache
    std::thread([&] { EXPECT_EQ(reg.lookup("svc"), expected); }).join();
    ASSERT_TRUE(reg.unregister("svc"));
    EXPECT_FALSE(reg.lookup("svc"));
    ASSERT_TRUE(reg.register_name("svc", round % 2 ? first : second));
  }
}
