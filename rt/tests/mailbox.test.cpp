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

TEST(Mailbox, CapacityAndPolicyChangeWhileRunning) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(2, OverflowPolicy::reject));
  ASSERT_TRUE(ref.tell(1));
  ASSERT_TRUE(ref.tell(2));
  EXPECT_FALSE(ref.tell(3));
  ASSERT_TRUE(f.sys.set_mailbox(ref, MailboxOptions::bounded(4, OverflowPolicy::reject)));  // room for two more
  EXPECT_EQ(f.sys.mailbox_of(ref)->capacity, 4u);
  ASSERT_TRUE(ref.tell(4));
  ASSERT_TRUE(ref.tell(5));
  EXPECT_FALSE(ref.tell(6));
  // Smaller than the depth: nothing queued is dropped; drop-oldest now evicts to make room.
  ASSERT_TRUE(f.sys.set_mailbox(ref, MailboxOptions::bounded(1, OverflowPolicy::drop_oldest)));
  EXPECT_EQ(f.sys.stats_of(ref)->mailbox_depth, 4u);
  ASSERT_TRUE(ref.tell(7));  // evicts 1
  EXPECT_EQ(f.sys.stats_of(ref)->mailbox_depth, 4u);
  f.open = true;
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 2, 4, 5, 7}));
}

TEST(Mailbox, AnUnboundedMailboxBecomesBoundedKeepingItsQueueAndOrder) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::unbounded());
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(ref.tell(i));
  ASSERT_TRUE(f.sys.set_mailbox(ref, MailboxOptions::bounded(7, OverflowPolicy::reject)));
  ASSERT_TRUE(ref.tell(6));  // 5 from before the switch count against the new capacity
  ASSERT_TRUE(ref.tell(7));
  auto r = ref.tell(8);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::mailbox_full);
  // Capacity 0 on a bounded mailbox: no limit again.
  ASSERT_TRUE(f.sys.set_mailbox(ref, MailboxOptions::unbounded()));
  for (int i = 9; i <= 20; ++i) ASSERT_TRUE(ref.tell(i));
  f.open = true;
  f.sys.shutdown();
  std::vector<int> want{0, 1, 2, 3, 4, 5, 6, 7};
  for (int i = 9; i <= 20; ++i) want.push_back(i);
  EXPECT_EQ(f.seen, want);
}

TEST(Mailbox, SwitchingToBoundedUnderConcurrentSendersKeepsEachSendersOrder) {
  // Four senders race the switch; every accepted message arrives once, in its sender's order.
  struct Recorder : Actor {
    std::vector<std::vector<int>>* by_sender;
    explicit Recorder(std::vector<std::vector<int>>* s) : by_sender(s) {}
    void receive(Message& m) override {
      const auto v = m.get<std::pair<int, int>>();
      (*by_sender)[v.first].push_back(v.second);
    }
  };
  ActorSystem sys{{.workers = 2}};
  std::vector<std::vector<int>> got(4);
  auto ref = sys.spawn([&] { return std::make_unique<Recorder>(&got); }).value();
  std::atomic<int> accepted{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < 4; ++s)
    senders.emplace_back([&, s] {
      for (int i = 0; i < 20'000; ++i) accepted += ref.tell(std::pair{s, i}).has_value();
    });
  std::this_thread::sleep_for(2ms);
  ASSERT_TRUE(sys.set_mailbox(ref, MailboxOptions::bounded(1'000'000, OverflowPolicy::reject)));
  for (auto& t : senders) t.join();
  sys.shutdown();
  EXPECT_EQ(accepted.load(), 80'000);
  for (auto& seq : got) {
    ASSERT_EQ(seq.size(), 20'000u);
    for (int i = 0; i < 20'000; ++i) ASSERT_EQ(seq[i], i);
  }
}

TEST(Mailbox, RaisingTheCapacityLetsABlockedSenderIn) {
  Fixture f;
  auto ref = f.spawn(MailboxOptions::bounded(1, OverflowPolicy::block, 2000ms));
  ASSERT_TRUE(ref.tell(1));
  std::thread raiser([&] {
    std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(f.sys.set_mailbox(ref, MailboxOptions::bounded(2, OverflowPolicy::block, 2000ms)));
  });
  EXPECT_TRUE(ref.tell(2));  // waits until the capacity is raised, well before its timeout
  raiser.join();
  f.open = true;
  f.sys.shutdown();
  EXPECT_EQ(f.seen, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(f.sys.set_mailbox(ref, MailboxOptions::unbounded()));  // stopped
}
