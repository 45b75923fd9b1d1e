#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::eventually;

namespace {
// Counts instances started; keeps per-instance state to show a restart gives fresh state.
struct Worker : Actor {
  std::atomic<int>* starts;
  int seen = 0;
  explicit Worker(std::atomic<int>* s) : starts(s) {}
  void on_start() override { ++*starts; }
  void receive(Message& m) override {
    if (auto* s = m.get_if<std::string>()) {
      if (*s == "boom") throw std::runtime_error("boom");
      if (*s == "exit") stop();
      if (*s == "seen" && m.is_request()) reply(seen);
      return;
    }
    ++seen;
  }
};

ChildSpec worker(const std::string& name, std::atomic<int>* starts, RestartPolicy p = RestartPolicy::permanent) {
  return ChildSpec::worker(name, [starts] { return std::make_unique<Worker>(starts); }, p);
}

int seen(const ActorRef& r) { return r.ask<int>(std::string("seen"), 2s).get().value_or(-1); }
}  // namespace

TEST(Supervisor, OneForOneRestartsOnlyTheFailedChildWithFreshStateAtTheSameAddress) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0}, b{0};
  SupervisorSpec spec;
  spec.children = {worker("a", &a), worker("b", &b)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto ra = sys.child(sup, "a"), rb = sys.child(sup, "b");
  ASSERT_TRUE(eventually([&] { return a == 1 && b == 1; }));
  ASSERT_TRUE(ra.tell(1));
  ASSERT_TRUE(rb.tell(1));
  EXPECT_EQ(seen(ra), 1);
  ASSERT_TRUE(ra.tell(std::string("boom")));
  EXPECT_EQ(seen(ra), 0);  // fresh state, same reference
  EXPECT_EQ(a.load(), 2);
  EXPECT_EQ(seen(rb), 1);  // untouched sibling
  EXPECT_EQ(b.load(), 1);
  EXPECT_EQ(sys.stats_of(ra)->restarts, 1u);
}

TEST(Supervisor, MessagesQueuedDuringARestartAreKept) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0};
  SupervisorSpec spec;
  spec.backoff.initial = 30ms;  // the child stays down a while
  spec.children = {worker("a", &a)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto ra = sys.child(sup, "a");
  ASSERT_TRUE(ra.tell(std::string("boom")));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ra.tell(i));
  EXPECT_EQ(seen(ra), 10);
}

TEST(Supervisor, OneForAllRestartsEveryChild) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0}, b{0}, c{0};
  SupervisorSpec spec;
  spec.strategy = Strategy::one_for_all;
  spec.children = {worker("a", &a), worker("b", &b), worker("c", &c)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  ASSERT_TRUE(eventually([&] { return a == 1 && b == 1 && c == 1; }));
  ASSERT_TRUE(sys.child(sup, "b").tell(std::string("boom")));
  EXPECT_TRUE(eventually([&] { return a == 2 && b == 2 && c == 2; }));
}

TEST(Supervisor, RestForOneRestartsTheFailedAndLaterChildren) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0}, b{0}, c{0};
  SupervisorSpec spec;
  spec.strategy = Strategy::rest_for_one;
  spec.children = {worker("a", &a), worker("b", &b), worker("c", &c)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  ASSERT_TRUE(eventually([&] { return a == 1 && b == 1 && c == 1; }));
  ASSERT_TRUE(sys.child(sup, "b").tell(std::string("boom")));
  EXPECT_TRUE(eventually([&] { return b == 2 && c == 2; }));
  EXPECT_EQ(seen(sys.child(sup, "a")), 0);
  EXPECT_EQ(a.load(), 1);
}

TEST(Supervisor, RestartPolicies) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> p{0}, t{0}, tmp{0};
  SupervisorSpec spec;
  spec.children = {worker("p", &p, RestartPolicy::permanent), worker("t", &t, RestartPolicy::transient),
                   worker("tmp", &tmp, RestartPolicy::temporary)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto rp = sys.child(sup, "p"), rt_ = sys.child(sup, "t"), rtmp = sys.child(sup, "tmp");
  ASSERT_TRUE(eventually([&] { return p == 1 && t == 1 && tmp == 1; }));
  // Normal exit: only permanent comes back.
  ASSERT_TRUE(rp.tell(std::string("exit")));
  ASSERT_TRUE(rt_.tell(std::string("exit")));
  EXPECT_TRUE(eventually([&] { return p == 2; }));
  EXPECT_TRUE(eventually([&] { return !rt_.alive(); }));
  // Failure: transient comes back, temporary does not.
  std::atomic<int> t2{0};
  auto rt2 = sys.start_child(sup, worker("t2", &t2, RestartPolicy::transient)).value();
  ASSERT_TRUE(eventually([&] { return t2 == 1; }));
  ASSERT_TRUE(rt2.tell(std::string("boom")));
  ASSERT_TRUE(rtmp.tell(std::string("boom")));
  EXPECT_TRUE(eventually([&] { return t2 == 2; }));
  EXPECT_TRUE(eventually([&] { return !rtmp.alive(); }));
  EXPECT_EQ(tmp.load(), 1);
}

TEST(Supervisor, ExplicitFailIsAFailure) {
  struct Failer : Actor {
    std::atomic<int>* starts;
    explicit Failer(std::atomic<int>* s) : starts(s) {}
    void on_start() override { ++*starts; }
    void receive(Message&) override { fail(Error{Errc::actor_failed, "nope"}); }
  };
  ActorSystem sys({.workers = 2});
  std::atomic<int> starts{0};
  SupervisorSpec spec;
  spec.children = {ChildSpec::worker("f", [&] { return std::make_unique<Failer>(&starts); }, RestartPolicy::transient)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  ASSERT_TRUE(sys.child(sup, "f").tell(1));
  EXPECT_TRUE(eventually([&] { return starts == 2; }));
}

TEST(Supervisor, IntensityExceededEscalatesToTheParent) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0}, sibling{0};
  SupervisorSpec inner;
  inner.max_restarts = 2;
  inner.within = 10s;
  inner.children = {worker("a", &a)};
  SupervisorSpec root;
  root.max_restarts = 5;
  root.children = {ChildSpec::nested("inner", std::move(inner)), worker("sibling", &sibling)};
  auto sup = sys.spawn_supervisor(std::move(root)).value();
  auto inner_ref = sys.child(sup, "inner");
  auto ra = sys.child(inner_ref, "a");
  ASSERT_TRUE(eventually([&] { return a == 1; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ra.tell(std::string("boom")));
    ASSERT_TRUE(eventually([&] { return a == i + 2; }));
  }
  // The third failure exceeded inner's intensity: inner failed and root restarted it (fresh subtree).
  EXPECT_TRUE(eventually([&] { return sys.stats_of(inner_ref)->restarts == 1; }));
  EXPECT_EQ(sibling.load(), 1);
  EXPECT_EQ(seen(ra), 0);
}

TEST(Supervisor, RootIntensityExceededStopsTheTree) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0};
  SupervisorSpec spec;
  spec.max_restarts = 1;
  spec.children = {worker("a", &a)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto ra = sys.child(sup, "a");
  ASSERT_TRUE(ra.tell(std::string("boom")));
  ASSERT_TRUE(eventually([&] { return a == 2; }));
  ASSERT_TRUE(ra.tell(std::string("boom")));
  EXPECT_TRUE(eventually([&] { return !sup.alive() && !ra.alive(); }));
}

TEST(Supervisor, BackoffDelaysRestartsExponentiallyWithoutBlockingOthers) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> a{0}, b{0};
  SupervisorSpec spec;
  spec.max_restarts = 10;
  spec.backoff = Backoff{40ms, 1000ms, 2.0};
  spec.children = {worker("a", &a), worker("b", &b)};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  auto ra = sys.child(sup, "a"), rb = sys.child(sup, "b");
  ASSERT_TRUE(eventually([&] { return a == 1; }));
  std::vector<std::chrono::steady_clock::duration> gaps;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(ra.tell(std::string("boom")));
    EXPECT_EQ(seen(rb), 0);  // the sibling answers at once while `a` waits
    ASSERT_TRUE(eventually([&] { return a == i + 2; }));
    gaps.push_back(std::chrono::steady_clock::now() - t0);
  }
  EXPECT_GE(gaps[0], 40ms);
  EXPECT_GE(gaps[1], 80ms);
  EXPECT_GE(gaps[2], 160ms);
}

TEST(Supervisor, HealthCheckRestartsAnUnhealthyChild) {
  struct Sick : Actor {
    std::atomic<int>* starts;
    explicit Sick(std::atomic<int>* s) : starts(s) {}
    void on_start() override { ++*starts; }
    bool healthy() override { return *starts > 1; }  // the first instance is sick
    void receive(Message&) override {}
  };
  ActorSystem sys({.workers = 2});
  std::atomic<int> starts{0};
  SupervisorSpec spec;
  auto c = ChildSpec::worker("sick", [&] { return std::make_unique<Sick>(&starts); });
  c.health = HealthCheck{10ms, 50ms, 3};
  spec.children = {c};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  EXPECT_TRUE(eventually([&] { return starts == 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(starts.load(), 2);  // healthy now: no more restarts
}

TEST(Supervisor, HealthCheckTimeoutCountsAsFailure) {
  struct Stuck : Actor {
    std::atomic<int>* starts;
    explicit Stuck(std::atomic<int>* s) : starts(s) {}
    void on_start() override { ++*starts; }
    void receive(Message&) override { std::this_thread::sleep_for(300ms); }
  };
  ActorSystem sys({.workers = 2});
  std::atomic<int> starts{0};
  SupervisorSpec spec;
  auto c = ChildSpec::worker("stuck", [&] { return std::make_unique<Stuck>(&starts); });
  c.health = HealthCheck{10ms, 20ms, 2};
  spec.children = {c};
  auto sup = sys.spawn_supervisor(std::move(spec)).value();
  ASSERT_TRUE(eventually([&] { return starts == 1; }));
  ASSERT_TRUE(sys.child(sup, "stuck").tell(1));  // busy for 300 ms: probes time out
  EXPECT_TRUE(eventually([&] { return starts >= 2; }));
}
