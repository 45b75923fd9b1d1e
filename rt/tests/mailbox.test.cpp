#include <gtest/gtest.h>

#include <thread>

#include "test_util.hpp"

using namespace airssys;
using namespace airssys::rt;
using namespace std::chrono_literals;
using test::eventually;

namespace {
// Blocks in its first message until released, so its mailbox fills up.
struct Gate : Actor {
  std::atomic<bool>* open;
  std::vector<int>* seen;
  Gate(std::atomic<bool>* o, std::vector<int>* s) : open(o), seen(s) {}
  void receive(Message& m) override {
    while (!open->load()) std::this_thread::sleep_for(1ms);
    seen->push_back(m.get<int>());
  }
};

struct Fixture {
  ActorSystem sys{{.workers = 2}};
  std::atomic<bool> open{false};
  std::vector<int> seen;
  ActorRef spawn(MailboxOptions mb) {
    auto ref = sys.spawn(
                      [this] { return std::make_unique<Gate>(&open, &seen); }, SpawnOptions{"gate", false, mb})
                   .value();
    EXPECT_TRUE(ref.tell(0));  // occupies the actor
    EXPECT_TRUE(eventually([&] { return sys.stats_of(ref)->mailbox_depth == 0; }));
    return ref;
  }
};
}  // namespace

TEST(Mailbox, RejectGivesTheSenderAnError) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(3, OverflowPolicy::reject));
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(ref.tell(i));
  auto r = ref.tell(4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::mailbox_full);
  auto a = ref.ask<int>(5, 1s).get();
  EXPECT_EQ(a.error().code, Errc::mailbox_full);
  f.open = true;
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(f.sys.stats().dropped, 2u);
}

TEST(Mailbox, DropNewestKeepsTheOldOnes) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(3, OverflowPolicy::drop_newest));
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(ref.tell(i));
  EXPECT_EQ(f.sys.stats_of(ref)->dropped, 7u);
  f.open = true;
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Mailbox, DropOldestKeepsTheNewOnes) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(3, OverflowPolicy::drop_oldest));
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(ref.tell(i));
  EXPECT_EQ(f.sys.stats_of(ref)->dropped, 7u);
  f.open = true;
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 8, 9, 10}));
}

TEST(Mailbox, BlockWaitsForSpaceThenTimesOut) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(2, OverflowPolicy::block, 50ms));
  ASSERT_TRUE(ref.tell(1));
  ASSERT_TRUE(ref.tell(2));
  auto r = ref.tell(3);  // nobody makes room: times out
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::mailbox_full);
  std::thread opener([&] {
    std::this_thread::sleep_for(20ms);
    f.open = true;
  });
  auto ok = ref.tell(4);  // room appears while we wait
  opener.join();
  EXPECT_TRUE(ok);
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 1, 2, 4}));
}

TEST(Mailbox, OverloadFromManySendersCountsEveryDrop) {
  for (auto policy : {OverflowPolicy::reject, OverflowPolicy::drop_newest, OverflowPolicy::drop_oldest}) {
    Fixture f;
    auto ref = f.spawn(MailboxOptions::bounded(64, policy));
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t)
      senders.emplace_back([&] {
        for (int i = 0; i < 5000; ++i) (void)ref.tell(i);
      });
    std::thread opener([&] {
      std::this_thread::sleep_for(5ms);
      f.open = true;
    });
    for (auto& s : senders) s.join();
    opener.join();
    f.sys.shutdown();
    const auto st = f.sys.stats();
    EXPECT_EQ(f.seen.size() + st.dropped, 20001u) << "policy " << int(policy);
    EXPECT_GT(st.dropped, 0u);
  }
}
