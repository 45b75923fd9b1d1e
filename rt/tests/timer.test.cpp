#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::Counter;
using test::eventually;

TEST(Timer, SendAfterDeliversOnceAfterTheDelay) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  const auto start = std::chrono::steady_clock::now();
  sys.send_after(ref, 30ms, 1);
  ASSERT_TRUE(eventually([&] { return n == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n.load(), 1);
}

TEST(Timer, PeriodicRepeatsUntilCancelled) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto id = sys.send_periodic(ref, 5ms, 1);
  ASSERT_TRUE(eventually([&] { return n >= 5; }));
  EXPECT_TRUE(sys.cancel_timer(id));
  EXPECT_FALSE(sys.cancel_timer(id));
  std::this_thread::sleep_for(20ms);
  const int after = n.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n.load(), after);
}

TEST(Timer, CancelledBeforeFiringNeverDelivers) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  auto id = sys.send_after(ref, 50ms, 1);
  EXPECT_TRUE(sys.cancel_timer(id));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(n.load(), 0);
}

TEST(Timer, PeriodicStopsWhenTheTargetStops) {
  ActorSystem sys({.workers = 2});
  std::atomic<int> n{0};
  auto ref = sys.spawn<Counter>(&n).value();
  sys.send_periodic(ref, 2ms, 1);
  ASSERT_TRUE(eventually([&] { return n >= 2; }));
  sys.stop(ref);
  ASSERT_TRUE(eventually([&] { return !ref.alive(); }));
  std::this_thread::sleep_for(20ms);
  EXPECT_LE(sys.stats().dead_letters, 2u);  // at most one in flight, then the timer ends
}
