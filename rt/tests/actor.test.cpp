#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::Counter;
using test::eventually;

TEST(Actor, TellIsHandled) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ref.tell(i));
  EXPECT_TRUE(eventually([&] { return n == 100; }));
  EXPECT_EQ(sys.stats_of(ref)->handled, 100u);
}

TEST(Actor, MessagesFromOneSenderArriveInOrder) {
  struct Recorder : Actor {
    std::vector<int>* seen;
    explicit Recorder(std::vector<int>* s) : seen(s) {}
    void receive(Message& m) override { seen->push_back(m.get<int>()); }
  };
  std::vector<int> seen;
  ActorSystem sys({.workers = 2});
  auto ref = sys.spawn<Recorder>(&seen).value();
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(ref.tell(i));
  sys.shutdown();  // drains
  ASSERT_EQ(seen.size(), 10000u);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(seen[i], i);
}

TEST(Actor, AskGetsTheReply) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto r = ref.ask<int>(41, 1s).get();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, 42);
}

TEST(Actor, AskWithoutReplyIsAnsweredNoReply) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto r = ref.ask<int>(std::string("nothing"), 1s).get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::no_reply);
}

TEST(Actor, AskWrongReplyType) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto r = ref.ask<std::string>(1, 1s).get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::bad_reply_type);
}

struct Deferrer : Actor {
  std::vector<Responder> held;
  void receive(Message& m) override {
    if (m.is<int>()) held.push_back(defer());
    if (auto* s = m.get_if<std::string>(); s && *s == "answer")
      for (auto& r : held) r.reply(7);
    if (auto* s = m.get_if<std::string>(); s && *s == "boom") throw std::runtime_error("boom");
  }
};

TEST(Actor, AskTimesOutExactlyOnceAndLateReplyIsDropped) {
  ActorSystem sys({.workers = 2});
  auto ref = sys.spawn<Deferrer>().value();
  auto f = ref.ask<int>(1, 50ms);
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  ASSERT_TRUE(ref.tell(std::string("answer")));  // the late reply must not crash or resolve twice
  auto ok = ref.ask<int>(2, 5s);
  ASSERT_TRUE(ref.tell(std::string("answer")));
  EXPECT_EQ(ok.get().value(), 7);
}

TEST(Actor, DeferredRequestsFailWhenTheActorFails) {
  ActorSystem sys({.workers = 2});
  auto ref = sys.spawn<Deferrer>().value();
  auto f = ref.ask<int>(1, 5s);
  ASSERT_TRUE(ref.tell(std::string("boom")));
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::no_reply);  // the responder died with the failed instance
}

TEST(Actor, RequestHeldDuringFailureIsAnsweredActorFailed) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto r = ref.ask<int>(std::string("boom"), 1s).get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::actor_failed);
}

TEST(Actor, StoppedActorGivesErrorAndDeadLetter) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  std::atomic<int> dead{0};
  sys.on_dead_letter([&](const DeadLetter&) { ++dead; });
  auto ref = sys.spawn<Counter>(&n).value();
  sys.stop(ref);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  auto t = ref.tell(1);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::actor_stopped);
  auto a = ref.ask<int>(1, 1s).get();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::actor_stopped);
  EXPECT_EQ(dead.load(), 2);
  EXPECT_GE(sys.stats().dead_letters, 2u);
}

TEST(Actor, LifecycleHooksRun) {
  struct Hooks : Actor {
    std::atomic<int>* started;
    std::atomic<int>* stopped;
    Hooks(std::atomic<int>* a, std::atomic<int>* b) : started(a), stopped(b) {}
    void on_start() override { ++*started; }
    void on_stop() override { ++*stopped; }
    void receive(Message&) override {}
  };
  std::atomic<int> started{0}, stopped{0};
  ActorSystem sys({.workers = 2});
  auto ref = sys.spawn<Hooks>(&started, &stopped).value();
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  sys.stop(ref);
  ASSERT_TRUE(eventually([&] { return stopped == 1; }));
}

struct Slow : Actor {
  std::atomic<int>* n;
  explicit Slow(std::atomic<int>* c) : n(c) {}
  void receive(Message&) override {
    std::this_thread::sleep_for(1ms);
    ++*n;
  }
};

TEST(Actor, GracefulStopDrainsTheQueue) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Slow>(&n).value();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(ref.tell(i));
  sys.stop(ref, StopMode::drain);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  EXPECT_EQ(n.load(), 50);
}

TEST(Actor, DiscardingStopDropsTheQueueAndCountsIt) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Slow>(&n).value();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(ref.tell(i));
  sys.stop(ref, StopMode::discard);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  EXPECT_LT(n.load(), 200);
  EXPECT_EQ(static_cast<std::uint64_t>(n.load()) + sys.stats().dead_letters, 200u);
}

TEST(Actor, KillSkipsOnStop) {
  struct Hooks : Actor {
    std::atomic<int>* stopped;
    explicit Hooks(std::atomic<int>* b) : stopped(b) {}
    void on_stop() override { ++*stopped; }
    void receive(Message&) override {}
  };
  std::atomic<int> stopped{0};
  ActorSystem sys({.workers = 2});
  auto ref = sys.spawn<Hooks>(&stopped).value();
  sys.kill(ref);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  EXPECT_EQ(stopped.load(), 0);
}

TEST(Actor, AskFromInsideAnActorRunsTheContinuationInTheAsker) {
  struct Client : Actor {
    ActorRef server;
    std::atomic<int>* result;
    Client(ActorRef s, std::atomic<int>* r) : server(std::move(s)), result(r) {}
    void receive(Message& m) override {
      if (m.is<std::string>())
        ask<int>(server, 9, std::chrono::milliseconds(1000), [this](Result<int> r) { *result = r ? *r : -1; });
    }
  };
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0}, result{0};
  auto server = sys.spawn<Counter>(&n).value();
  auto client = sys.spawn<Client>(server, &result).value();
  ASSERT_TRUE(client.tell(std::string("go")));
  EXPECT_TRUE(eventually([&] { return result == 10; }));
}

TEST(Actor, ThousandsOfIdleActorsCostNoThreads) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  std::vector<ActorRef> refs;
  for (int i = 0; i < 10000; ++i) refs.push_back(sys.spawn<Counter>(&n).value());
  EXPECT_EQ(sys.stats().actors_alive, 10000u);
  EXPECT_EQ(sys.worker_count(), 2u);
  for (auto& r : refs) ASSERT_TRUE(r.tell(1));
  EXPECT_TRUE(eventually([&] { return n == 10000; }));
}

TEST(Actor, ShutdownStopsChildrenBeforeParents) {
  // Each leaf records, in on_stop, whether its supervisors are still alive: they must be.
  struct Leaf : Actor {
    std::vector<bool>* parents_alive;
    std::mutex* m;
    const ActorRef* root;
    const ActorRef* inner;
    Leaf(std::vector<bool>* o, std::mutex* mu, const ActorRef* r, const ActorRef* i)
        : parents_alive(o), m(mu), root(r), inner(i) {}
    void on_stop() override {
      std::lock_guard lock(*m);
      parents_alive->push_back(root->alive() && (!*inner || inner->alive()));
    }
    void receive(Message&) override {}
  };
  std::vector<bool> parents_alive;
  std::mutex m;
  ActorRef root_ref, inner_ref, no_inner;
  {
    ActorSystem sys({.workers = 2});
    auto leaf = [&] { return std::make_unique<Leaf>(&parents_alive, &m, &root_ref, &inner_ref); };
    SupervisorSpec inner;
    auto root_only = [&] { return std::make_unique<Leaf>(&parents_alive, &m, &root_ref, &no_inner); };
    inner.children.push_back(ChildSpec::worker("leaf", leaf));
    SupervisorSpec root;
    root.children.push_back(ChildSpec::nested("inner", std::move(inner)));
    root.children.push_back(ChildSpec::worker("sibling", root_only));  // its only ancestor is root
    root_ref = sys.spawn_supervisor(std::move(root)).value();
    inner_ref = sys.child(root_ref, "inner");
    ASSERT_TRUE(inner_ref);
    ASSERT_TRUE(sys.child(inner_ref, "leaf"));
    ASSERT_TRUE(eventually([&] { return sys.stats().actors_alive == 4; }));
    sys.shutdown();
    EXPECT_EQ(sys.stats().actors_alive, 0u);
    EXPECT_FALSE(root_ref.alive());
  }
  ASSERT_EQ(parents_alive.size(), 2u);
  EXPECT_TRUE(parents_alive[0]);
  EXPECT_TRUE(parents_alive[1]);
  root_ref = {};
  inner_ref = {};
}
