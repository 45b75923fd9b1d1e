// Storage persistence, runtime limit changes, live upgrade: end to end with real guests.
#include <future>

#include "support.hpp"

namespace airssys::wasm::test {
namespace {

ComponentSpec storage_spec(std::uint64_t quota = kDefaultStorageQuotaBytes) {
  Grants g;
  g.storage.enabled = true;
  g.storage.quota_bytes = quota;
  return spec("test/store", "storage", g);
}

TEST(Storage, PersistsAcrossComponentAndHostRestart) {
  TempDir dir;
  HostOptions o;
  o.data_dir = dir.path.string();
  {
    auto host = make_host(o);
    ASSERT_TRUE(host->spawn(storage_spec()));
    EXPECT_EQ(ask(*host, "test/store", "set color blue"), "ok");
    EXPECT_EQ(ask(*host, "test/store", "set size 42"), "ok");
    EXPECT_EQ(ask(*host, "test/store", "get color"), "blue");
    ASSERT_TRUE(host->restart("test/store"));
    EXPECT_TRUE(eventually([&] { return host->info("test/store")->restarts == 1; }));
    EXPECT_EQ(ask(*host, "test/store", "get color"), "blue");
    EXPECT_EQ(ask(*host, "test/store", "list"), "color,size");
  }
  auto host = make_host(o);  // a new host process on the same data directory
  ASSERT_TRUE(host->spawn(storage_spec()));
  EXPECT_EQ(ask(*host, "test/store", "get color"), "blue");
  EXPECT_EQ(ask(*host, "test/store", "del size"), "deleted");
  EXPECT_EQ(ask(*host, "test/store", "get size"), "(none)");
  EXPECT_EQ(ask(*host, "test/store", "usage"), "9,1," + std::to_string(kDefaultStorageQuotaBytes));
}

TEST(Storage, NamespacesAreIsolatedAndQuotaEnforced) {
  TempDir dir;
  HostOptions o;
  o.data_dir = dir.path.string();
  auto host = make_host(o);
  ASSERT_TRUE(host->spawn(storage_spec(20)));
  auto other = storage_spec();
  other.address = "test/other";
  ASSERT_TRUE(host->spawn(other));
  EXPECT_EQ(ask(*host, "test/store", "set k v"), "ok");
  EXPECT_EQ(ask(*host, "test/other", "get k"), "(none)");
  EXPECT_EQ(ask(*host, "test/store", "set big 0123456789abcdefghij"), "error:target-failed:1:");  // quota-exceeded
  auto bad = ask(*host, "test/store", "get \x7f");
  EXPECT_TRUE(bad.starts_with("error:target-failed:2:")) << bad;  // invalid-key
  ASSERT_TRUE(host->set_storage_quota("test/store", 1000));
  EXPECT_EQ(ask(*host, "test/store", "set big 0123456789abcdefghij"), "ok");
}

TEST(Limits, DeadlineChangeTakesEffectWithoutRestart) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/slow", "slow")));
  EXPECT_EQ(ask(*host, "test/slow", "300"), "done");  // within the default 1 s deadline
  ComponentLimits tight;
  tight.engine.deadline_ms = 150;
  ASSERT_TRUE(host->set_limits("test/slow", tight));
  EXPECT_EQ(ask(*host, "test/slow", "1"), "done");
  EXPECT_EQ(host->info("test/slow")->restarts, 0u);  // the change itself needed no restart
  auto r = ask(*host, "test/slow", "300");             // now past its deadline
  EXPECT_TRUE(r.starts_with("error:target-failed:")) << r;
  EXPECT_NE(r.find("deadline"), std::string::npos) << r;
  ComponentLimits loose;
  loose.engine.deadline_ms = 1000;
  ASSERT_TRUE(host->set_limits("test/slow", loose));
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/slow", "300") == "done"; }));
}

TEST(Limits, MailboxSizeAndPolicyChangeWithoutRestart) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/slow", "slow")));  // unbounded by default
  auto busy = host->request("test/slow", bytes("300"), 5000ms);  // keeps it busy
  ASSERT_TRUE(eventually([&] { return host->info("test/slow")->mailbox_depth == 0; }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(host->send("test/slow", bytes("0")));
  ASSERT_TRUE(host->set_mailbox("test/slow", rt::MailboxOptions::bounded(6, rt::OverflowPolicy::reject)));
  ASSERT_TRUE(host->send("test/slow", bytes("0")));
  auto full = host->send("test/slow", bytes("0"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::mailbox_full);
  ASSERT_TRUE(host->set_mailbox("test/slow", rt::MailboxOptions::bounded(100, rt::OverflowPolicy::reject)));
  ASSERT_TRUE(host->send("test/slow", bytes("0")));
  EXPECT_EQ(text(*busy.get()), "done");
  EXPECT_TRUE(eventually([&] { return host->info("test/slow")->handled == 8; }));  // nothing queued was lost
  EXPECT_EQ(host->info("test/slow")->restarts, 0u);
  EXPECT_EQ(host->set_mailbox("test/nobody", {}).error().code, Errc::not_found);
}

TEST(Limits, IdleComponentsGiveBackZeroPagesAndKeepTheirState) {
  HostOptions o;
  o.idle_release = 30ms;
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(spec("test/c", "counter")));
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(ask(*host, "test/c", "inc"), std::to_string(i));
  ASSERT_TRUE(eventually([&] { return host->info("test/c")->memory_released > 0; }));
  const auto released = host->info("test/c")->memory_released;
  EXPECT_LT(released, 64u * 1024);  // not the pages holding its data, stack top and heap
  EXPECT_EQ(ask(*host, "test/c", "get"), "5");  // its state is intact
  for (int i = 6; i <= 50; ++i) ASSERT_EQ(ask(*host, "test/c", "inc"), std::to_string(i));
  // Active again, then idle again: released again.
  EXPECT_TRUE(eventually([&] { return host->info("test/c")->memory_released > released; }));
  EXPECT_EQ(ask(*host, "test/c", "get"), "50");
}

TEST(Limits, FuelLimitStopsALoopingGuest) {
  auto host = make_host();
  auto s = spec("test/loop", "loop");
  s.limits.engine.fuel_per_call = 1'000'000;
  s.limits.engine.deadline_ms = 0;
  ASSERT_TRUE(host->spawn(s));
  auto r = ask(*host, "test/loop", "spin");
  EXPECT_NE(r.find("fuel"), std::string::npos) << r;
}

TEST(Limits, SendRateLimitPerComponent) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.request = {"test/*"};
  g.send = {"test/*"};
  auto r = spec("test/relay", "relay", g);
  r.limits.max_sends_per_second = 2;
  ASSERT_TRUE(host->spawn(r));
  EXPECT_EQ(ask(*host, "test/relay", "burst test/echo 20 1000"), "2");  // one second's worth
  auto refused = ask(*host, "test/relay", "send test/echo - 1");
  EXPECT_TRUE(refused.starts_with("err:0:rate limit")) << refused;
  ComponentLimits unlimited;
  ASSERT_TRUE(host->set_limits("test/relay", unlimited));
  EXPECT_EQ(ask(*host, "test/relay", "burst test/echo 20 1000"), "20");
}

TEST(Limits, QueueKeptOrDroppedAcrossRestartPerConfiguration) {
  for (bool keep : {true, false}) {
    auto host = make_host();
    auto t = spec("test/trap", "trap");
    t.supervision.backoff.initial = 200ms;  // the restart waits: what is sent meanwhile queues up
    t.supervision.keep_queue_on_restart = keep;
    ASSERT_TRUE(host->spawn(t));
    ASSERT_TRUE(host->send("test/trap", bytes("boom")));
    std::this_thread::sleep_for(50ms);  // failed, restart pending
    auto queued = host->request("test/trap", bytes("ok"), 2000ms);
    auto r = queued.get();
    if (keep) {
      ASSERT_TRUE(r) << abi::to_string(r.error().kind);
      EXPECT_EQ(text(*r), "ok");
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().kind, abi::RequestError::Kind::target_failed);
    }
    EXPECT_TRUE(eventually([&] { return ask(*host, "test/trap", "ok") == "ok"; }));  // serving again
  }
}

TEST(Upgrade, InPlaceKeepsAddressAndStorage) {
  TempDir dir;
  Events ev;
  HostOptions o;
  o.data_dir = dir.path.string();
  o.on_event = ev.sink();
  auto host = make_host(o);
  auto s = storage_spec();
  ASSERT_TRUE(host->spawn(s));
  EXPECT_EQ(ask(*host, "test/store", "set a 1"), "ok");
  // Upgrade to a new build of the same component (same code, a different module: echo_cpp would
  // lose the storage commands, so upgrade storage -> storage is checked for continuity, then echo).
  ASSERT_TRUE(host->upgrade_file("test/store", guest("storage")));
  EXPECT_EQ(ask(*host, "test/store", "get a"), "1");
  ASSERT_TRUE(host->upgrade_file("test/store", guest("echo")));
  EXPECT_EQ(ask(*host, "test/store", "get a"), "get a");  // echo now
  EXPECT_EQ(ev.count(EventKind::upgraded, "test/store"), 2u);
  ASSERT_TRUE(host->upgrade_file("test/store", guest("storage")));
  EXPECT_EQ(ask(*host, "test/store", "get a"), "1");  // the namespace was kept throughout
}

TEST(Upgrade, FailedUpgradeLeavesTheOldVersionServing) {
  auto host = make_host();
  auto s = spec("test/app", "echo");
  s.data = bytes("x");  // echo ignores it; counter refuses it in init
  ASSERT_TRUE(host->spawn(s));
  auto garbage = host->upgrade("test/app", {0, 'a', 's', 'm', 9, 9});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(ask(*host, "test/app", "v1"), "v1");
  auto denied = host->upgrade_file("test/app", guest("requester"));  // imports messaging: no grant
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::denied);
  auto init = host->upgrade_file("test/app", guest("counter"));
  ASSERT_FALSE(init);
  EXPECT_NE(init.error().message().find("refused data"), std::string::npos) << init.error().message();
  EXPECT_NE(init.error().message().find("old version kept"), std::string::npos) << init.error().message();
  EXPECT_EQ(ask(*host, "test/app", "still v1"), "still v1");
  EXPECT_EQ(host->info("test/app")->status, ComponentStatus::running);
}

TEST(Upgrade, UnderLoadNoQueuedMessageIsLost) {
  auto host = make_host();
  Grants g;
  g.send = {"test/app"};  // echo_cpp imports messaging.self-address
  ASSERT_TRUE(host->spawn(spec("test/app", "echo", g)));
  constexpr int kN = 3000;
  std::vector<std::future<RequestOutcome>> answers;
  answers.reserve(kN);
  std::thread load([&] {
    for (int i = 0; i < kN; ++i) answers.push_back(host->request("test/app", bytes(std::to_string(i)), 10'000ms));
  });
  std::this_thread::sleep_for(2ms);
  auto up = host->upgrade_file("test/app", guest("echo_cpp"));
  load.join();
  ASSERT_TRUE(up) << up.error().message();
  for (int i = 0; i < kN; ++i) {
    auto r = answers[i].get();
    ASSERT_TRUE(r) << i << ": " << abi::to_string(r.error().kind) << " " << r.error().text;
    ASSERT_EQ(text(*r), std::to_string(i));
  }
  EXPECT_NE(host->info("test/app")->module_sha256, host->engine().load_file(guest("echo")).value()->info().sha256);
}

}  // namespace
}  // namespace airssys::wasm::test
