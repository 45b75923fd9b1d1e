// CorrelationTracker: exactly-once resolution (answer, timeout, cancel, failure), late answers
// counted, one timer structure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <airssys/rt/system.hpp>
#include <airssys/wasm/correlation.hpp>

namespace airssys::wasm {
namespace {

using namespace std::chrono_literals;
using Kind = abi::RequestError::Kind;

struct CountingSink final : ResponseSink {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, int> per_id;
  std::vector<abi::Response> all;
  void deliver(abi::Response r) override {
    std::lock_guard lock(mutex);
    ++per_id[r.correlation];
    all.push_back(std::move(r));
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return all.size();
  }
};

std::shared_ptr<const std::string> target(std::string s = "t/x") { return std::make_shared<const std::string>(s); }

TEST(Correlation, AnswerIsDeliveredOnceAndLateAnswersAreCounted) {
  CorrelationTracker t;
  auto sink = std::make_shared<CountingSink>();
  const auto id = t.add(sink, target(), 1000ms);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_TRUE(t.resolve(id, abi::Bytes{1, 2}));
  EXPECT_FALSE(t.resolve(id, abi::Bytes{3}));
  ASSERT_EQ(sink->size(), 1u);
  EXPECT_EQ(sink->all[0].correlation, id);
  EXPECT_EQ(sink->all[0].from, "t/x");
  EXPECT_EQ(*sink->all[0].outcome, (abi::Bytes{1, 2}));
  EXPECT_EQ(t.stats().late, 1u);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(Correlation, ReusedSlotsGetNewIds) {
  CorrelationTracker t;
  auto sink = std::make_shared<CountingSink>();
  const auto a = t.add(sink, target(), 1000ms);
  ASSERT_TRUE(t.resolve(a, abi::Bytes{}));
  const auto b = t.add(sink, target(), 1000ms);
  EXPECT_NE(a, b);
  EXPECT_FALSE(t.resolve(a, abi::Bytes{}));  // the stale id does not reach b
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_TRUE(t.resolve(b, abi::Bytes{}));
}

TEST(Correlation, TimeoutThenLateAnswer) {
  CorrelationTracker t;  // no scheduler: tick() by hand
  auto sink = std::make_shared<CountingSink>();
  const auto id = t.add(sink, target(), 5ms);
  const auto keep = t.add(sink, target(), 10'000ms);
  EXPECT_EQ(t.tick(), 0u);
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(t.tick(), 1u);
  ASSERT_EQ(sink->size(), 1u);
  EXPECT_EQ(sink->all[0].correlation, id);
  ASSERT_FALSE(sink->all[0].outcome);
  EXPECT_EQ(sink->all[0].outcome.error().kind, Kind::timeout);
  EXPECT_FALSE(t.resolve(id, abi::Bytes{}));
  EXPECT_EQ(t.stats().late, 1u);
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_TRUE(t.resolve(keep, abi::Bytes{}));
}

TEST(Correlation, LongDeadlinesSurviveWheelLaps) {
  CorrelationTracker t;
  auto sink = std::make_shared<CountingSink>();
  const auto id = t.add(sink, target(), 1500ms);  // more than one lap of the 1024-tick wheel
  for (int i = 0; i < 12; ++i) {
    std::this_thread::sleep_for(100ms);
    t.tick();
  }
  EXPECT_EQ(sink->size(), 0u);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(t.tick(), 1u);
  EXPECT_EQ(sink->all.at(0).correlation, id);
}

TEST(Correlation, CancelOnlyByTheOwner) {
  CorrelationTracker t;
  auto a = std::make_shared<CountingSink>();
  auto b = std::make_shared<CountingSink>();
  const auto id = t.add(a, target(), 1000ms);
  EXPECT_FALSE(t.cancel(id, b.get()));
  EXPECT_FALSE(t.cancel(id, nullptr));
  EXPECT_TRUE(t.cancel(id, a.get()));
  EXPECT_FALSE(t.cancel(id, a.get()));
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(a->all[0].outcome.error().kind, Kind::cancelled);
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(t.stats().cancelled, 1u);
}

TEST(Correlation, WithdrawDeliversNothing) {
  CorrelationTracker t;
  auto a = std::make_shared<CountingSink>();
  const auto id = t.add(a, target(), 1000ms);
  EXPECT_TRUE(t.withdraw(id));
  EXPECT_FALSE(t.withdraw(id));
  EXPECT_EQ(a->size(), 0u);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(Correlation, FailAllResolvesEverything) {
  CorrelationTracker t;
  auto a = std::make_shared<CountingSink>();
  for (int i = 0; i < 100; ++i) t.add(a, target(), 10'000ms);
  EXPECT_EQ(t.fail_all(abi::RequestError{Kind::target_failed, "bye"}), 100u);
  EXPECT_EQ(a->size(), 100u);
  EXPECT_EQ(t.pending(), 0u);
}

// Answers race timeouts driven by the real timer: every id is delivered exactly once.
TEST(Correlation, ExactlyOnceUnderRacingAnswersAndTimeouts) {
  rt::ActorSystem sys(rt::SystemOptions{2});
  CorrelationTracker t([&sys](auto when, std::function<void()> fn) { sys.call_at(when, std::move(fn)); });
  auto sink = std::make_shared<CountingSink>();
  constexpr int kThreads = 4, kPerThread = 5000;
  std::atomic<std::uint64_t> answered{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      std::vector<std::uint64_t> ids;
      for (int i = 0; i < kPerThread; ++i) ids.push_back(t.add(sink, target(), std::chrono::milliseconds(1 + (i % 4))));
      // Answer half of them, some after their deadline.
      for (int i = 0; i < kPerThread; i += 2) {
        if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200 * th));
        if (t.resolve(ids[i], abi::Bytes{1})) answered.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  // Wait for the deliveries themselves: an entry leaves `pending` before its response is handed
  // to the sink, so pending() == 0 can come a moment before the last delivery.
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && (t.pending() > 0 || sink->size() < std::size_t{kThreads * kPerThread}); ++i)
      std::this_thread::sleep_for(10ms);
    return t.pending() == 0;
  }());
  EXPECT_EQ(sink->size(), std::size_t{kThreads * kPerThread});
  {
    std::lock_guard lock(sink->mutex);  // released before shutdown: the timer thread may still tick
    for (auto& [id, n] : sink->per_id) ASSERT_EQ(n, 1) << id;
  }
  const auto s = t.stats();
  EXPECT_EQ(s.answered + s.timed_out, std::uint64_t{kThreads * kPerThread});
  EXPECT_EQ(s.answered, answered.load());
  sys.shutdown();
}

TEST(Correlation, SlotIsSmall) { EXPECT_LE(CorrelationTracker::bytes_per_slot(), 96u); }

}  // namespace
}  // namespace airssys::wasm
