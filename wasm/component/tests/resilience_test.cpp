// Failures under load: restart storms, targets dying while holding requests, giving up.
#include <future>

#include "support.hpp"

namespace airssys::wasm::test {
namespace {

Supervision storm_proof() {
  Supervision s;
  s.max_restarts = 1'000'000;
  s.within = 1000ms;
  return s;
}

TEST(Resilience, RestartStormLosesNoMessageOfHealthyNeighbours) {
  Events ev;
  HostOptions o;
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  auto t = spec("test/trap", "trap");
  t.supervision = storm_proof();
  ASSERT_TRUE(host->spawn(t));
  ASSERT_TRUE(host->spawn(spec("test/a", "counter")));
  ASSERT_TRUE(host->spawn(spec("test/b", "counter")));
  constexpr int kMessages = 3000, kTraps = 200;
  std::atomic<int> sent_a{0}, sent_b{0};
  std::thread storm([&] {
    for (int i = 0; i < kTraps; ++i) ASSERT_TRUE(host->send("test/trap", bytes("boom")));
  });
  std::thread a([&] {
    for (int i = 0; i < kMessages; ++i) sent_a += host->send("test/a", bytes("inc")).has_value();
  });
  std::thread b([&] {
    for (int i = 0; i < kMessages; ++i) sent_b += host->send("test/b", bytes("inc")).has_value();
  });
  storm.join();
  a.join();
  b.join();
  EXPECT_EQ(sent_a.load(), kMessages);
  EXPECT_EQ(sent_b.load(), kMessages);
  EXPECT_EQ(ask(*host, "test/a", "get"), std::to_string(kMessages));
  EXPECT_EQ(ask(*host, "test/b", "get"), std::to_string(kMessages));
  EXPECT_TRUE(eventually([&] { return host->info("test/trap")->failures == kTraps; }));
  EXPECT_TRUE(eventually([&] { return host->info("test/trap")->restarts == kTraps; }));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");
  EXPECT_EQ(host->info("test/a")->failures, 0u);
}

TEST(Resilience, GivenUpAfterRestartIntensity) {
  Events ev;
  HostOptions o;
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  auto t = spec("test/trap", "trap");
  t.supervision.max_restarts = 2;
  t.supervision.within = 10'000ms;
  ASSERT_TRUE(host->spawn(t));
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  for (int i = 0; i < 3; ++i) (void)ask(*host, "test/trap", "boom", 500ms);
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::stopped, "test/trap") == 1; }));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "error:target-not-found:test/trap");
  EXPECT_EQ(ask(*host, "test/echo", "alive"), "alive");
  EXPECT_TRUE(host->spawn(spec("test/trap", "trap")));  // the address is free again
}

TEST(Resilience, TransientPolicyDoesNotRestartAfterNormalStop) {
  auto host = make_host();
  auto t = spec("test/trap", "trap");
  t.supervision.restart = rt::RestartPolicy::temporary;
  ASSERT_TRUE(host->spawn(t));
  (void)ask(*host, "test/trap", "boom", 500ms);
  EXPECT_TRUE(eventually([&] { return !host->info("test/trap").has_value(); }));
}

// Requests from components and from the API to targets that keep dying: every request gets
// exactly one response (the guest checks for duplicate correlation ids).
TEST(Resilience, EveryRequestAnsweredExactlyOnceWhileTargetsDie) {
  auto host = make_host();
  auto flaky = spec("test/flaky", "trap");  // traps on every "ping": each request kills it
  flaky.supervision = storm_proof();
  ASSERT_TRUE(host->spawn(flaky));
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  auto doomed = spec("test/doomed", "slow");
  ASSERT_TRUE(host->spawn(doomed));
  Grants g;
  g.request = {"test/*"};
  for (auto name : {"test/r1", "test/r2"}) ASSERT_TRUE(host->spawn(spec(name, "relay", g)));
  ASSERT_TRUE(host->send("test/doomed", bytes("100")));  // busy: requests to it queue up

  constexpr int kBurst = 300;
  std::vector<std::future<RequestOutcome>> api;
  std::thread api_load([&] {
    for (int i = 0; i < kBurst; ++i) {
      api.push_back(host->request(i % 2 ? "test/flaky" : "test/echo", bytes("ping"), 5000ms));
      if (i % 10 == 0) api.push_back(host->request("test/doomed", bytes("0"), 5000ms));
    }
  });
  for (auto r : {"test/r1", "test/r2"}) {
    EXPECT_EQ(ask(*host, r, "burst test/flaky " + std::to_string(kBurst) + " 5000"), std::to_string(kBurst));
    EXPECT_EQ(ask(*host, r, "burst test/echo " + std::to_string(kBurst) + " 5000"), std::to_string(kBurst));
    EXPECT_EQ(ask(*host, r, "burst test/doomed 50 5000"), "50");
  }
  api_load.join();
  ASSERT_TRUE(host->stop("test/doomed"));  // stopping drains: then everything queued is answered
  const std::string expected = std::to_string(2 * kBurst + 50);
  for (auto r : {"test/r1", "test/r2"}) {
    EXPECT_TRUE(eventually([&] {
      auto s = ask(*host, r, "stats");  // requests,ok,err,received,dups
      auto parts = std::vector<std::uint64_t>{};
      std::size_t pos = 0;
      while (pos <= s.size()) {
        auto next = s.find(',', pos);
        parts.push_back(std::stoull(s.substr(pos, next - pos)));
        if (next == std::string::npos) break;
        pos = next + 1;
      }
      return parts.size() == 5 && parts[0] == 2 * kBurst + 50 && parts[1] + parts[2] == parts[0] && parts[4] == 0;
    }, 10'000ms)) << ask(*host, r, "stats");
  }
  for (auto& f : api) ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(eventually([&] { return host->tracker().pending() == 0; }));
  const auto s = host->tracker().stats();
  EXPECT_EQ(s.registered, s.answered + s.timed_out + s.cancelled);
}

}  // namespace
}  // namespace airssys::wasm::test
