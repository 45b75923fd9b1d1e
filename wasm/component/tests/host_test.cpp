// End-to-end: components as supervised actors, through HostSystem, with real guests.
#include "support.hpp"

namespace airssys::wasm::test {
namespace {

TEST(Host, EchoAnswersARequest) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  EXPECT_EQ(ask(*host, "test/echo", "hello"), "hello");
  auto list = host->list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].address, "test/echo");
  EXPECT_EQ(list[0].status, ComponentStatus::running);
}

TEST(Host, SecondSpawnAtTakenAddressIsAnError) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  auto again = host->spawn(spec("test/echo", "counter"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::name_taken);
  EXPECT_EQ(ask(*host, "test/echo", "still echo"), "still echo");
}

TEST(Host, CounterKeepsStateAcrossMessages) {
  auto host = make_host();
  auto s = spec("test/counter", "counter");
  s.settings = {{"start", "10"}};
  ASSERT_TRUE(host->spawn(s));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(host->send("test/counter", bytes("inc")));
  EXPECT_EQ(ask(*host, "test/counter", "get"), "15");
}

TEST(Host, InitErrorFailsTheSpawnAndFreesTheAddress) {
  auto host = make_host();
  auto s = spec("test/counter", "counter");
  s.data = bytes("x");  // counter refuses data starting with 'x'
  auto r = host->spawn(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::guest_error);
  EXPECT_NE(r.error().context.find("refused data"), std::string::npos) << r.error().message();
  EXPECT_TRUE(host->spawn(spec("test/counter", "counter")));
}

TEST(Host, RequestToMissingAddressIsTargetNotFoundAtOnce) {
  auto host = make_host();
  EXPECT_EQ(ask(*host, "nobody/here", "x"), "error:target-not-found:nobody/here");
}

TEST(Host, ComponentRequestsAnotherComponent) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.request = {"test/*"};
  ASSERT_TRUE(host->spawn(spec("test/requester", "requester", g)));
  auto id = ask(*host, "test/requester", "go test/echo");
  ASSERT_FALSE(id.starts_with("error")) << id;
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/requester", "last") == "ping"; }));
  // A missing target: the guest's request fails synchronously with target-not-found.
  EXPECT_EQ(ask(*host, "test/requester", "go test/nobody"), "error:target-failed:request: target-not-found");
}

// A target that answers late without holding a worker: a trap component that just failed and
// waits out a 300 ms restart backoff (its mailbox keeps what arrives meanwhile). The late
// resolution is then target-failed (it traps on "ping"), after the request was already resolved.
void spawn_late_target(HostSystem& host) {
  auto t = spec("test/late", "trap");
  t.supervision.backoff.initial = 300ms;
  ASSERT_TRUE(host.spawn(t));
  ASSERT_TRUE(host.send("test/late", bytes("boom")));
}

TEST(Host, RequestTimesOutAndTheLateAnswerIsDropped) {
  auto host = make_host();
  Grants g;
  g.request = {"test/late"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  spawn_late_target(*host);
  auto id = ask(*host, "test/relay", "req test/late 10");
  ASSERT_FALSE(id.starts_with("err")) << id;
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/relay", "last").starts_with("error:0:"); }));  // timeout
  // The target resolves it later: that resolution is dropped and counted, never delivered.
  EXPECT_TRUE(eventually([&] { return host->tracker().stats().late == 1; }));
  EXPECT_EQ(ask(*host, "test/relay", "stats"), "1,0,1,0,0");
  EXPECT_EQ(host->tracker().stats().timed_out, 1u);
}

TEST(Host, PublishSubscribeWithWildcards) {
  auto host = make_host();
  Grants sub;
  sub.subscribe = {"news.#"};
  auto s = spec("test/sub", "subscriber", sub);
  s.settings = {{"topics", "news.*"}};
  ASSERT_TRUE(host->spawn(s));
  Grants pub;
  pub.publish = {"news.#"};
  auto p = spec("test/pub", "publisher", pub);
  p.settings = {{"topic", "news.sport"}};
  ASSERT_TRUE(host->spawn(p));
  EXPECT_EQ(ask(*host, "test/pub", "goal"), "published");
  EXPECT_EQ(ask(*host, "test/pub", "again"), "published");
  ASSERT_TRUE(host->publish("weather.today", bytes("rain")));  // not subscribed
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/sub", "count") == "2"; }));
}

TEST(Host, TimersClocksRandomAndSelfAddress) {
  auto host = make_host();
  Grants g;
  g.send = {"test/timer"};  // self-address lives in `messaging`
  ASSERT_TRUE(host->spawn(spec("test/timer", "timer", g)));
  EXPECT_EQ(ask(*host, "test/timer", "self"), "test/timer");
  EXPECT_EQ(ask(*host, "test/timer", "rand 16").size(), 16u);
  const auto now = std::stoull(ask(*host, "test/timer", "now"));
  EXPECT_GT(now, 1'700'000'000'000ull);
  const auto m1 = std::stoull(ask(*host, "test/timer", "mono"));
  const auto m2 = std::stoull(ask(*host, "test/timer", "mono"));
  EXPECT_LE(m1, m2);
  auto id = ask(*host, "test/timer", "start 10");
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/timer", "fired") == "1"; }));
  auto id2 = ask(*host, "test/timer", "start 5000");
  EXPECT_EQ(ask(*host, "test/timer", "cancel " + id2), "cancelled");
  EXPECT_EQ(ask(*host, "test/timer", "cancel " + id), "not pending");
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(ask(*host, "test/timer", "fired"), "1");
}

TEST(Host, GuestLogReachesTheHost) {
  std::mutex m;
  std::vector<std::string> lines;
  HostOptions o;
  o.on_log = [&](std::string_view addr, abi::LogLevel, std::string_view text) {
    std::lock_guard lock(m);
    lines.push_back(std::string(addr) + ": " + std::string(text));
  };
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));  // echo logs its address at init
  std::lock_guard lock(m);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "test/echo: test/echo");
}

TEST(Host, TrapFailsOnlyThatComponentAndItIsRestarted) {
  Events ev;
  HostOptions o;
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(spec("test/trap", "trap")));
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  auto r = ask(*host, "test/trap", "boom");
  EXPECT_TRUE(r.starts_with("error:target-failed:")) << r;
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::restarted, "test/trap") == 1; }));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");
  EXPECT_EQ(ask(*host, "test/echo", "fine"), "fine");
  auto info = host->info("test/trap");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->failures, 1u);
  EXPECT_EQ(info->restarts, 1u);
  EXPECT_EQ(ev.count(EventKind::failed, "test/trap"), 1u);
}

TEST(Host, StopThenRespawnAtTheSameAddress) {
  Events ev;
  HostOptions o;
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(spec("test/x", "echo")));
  ASSERT_TRUE(host->stop("test/x"));
  EXPECT_EQ(ev.count(EventKind::stopped, "test/x"), 1u);
  EXPECT_EQ(ask(*host, "test/x", "a"), "error:target-not-found:test/x");
  ASSERT_TRUE(host->spawn(spec("test/x", "counter")));
  EXPECT_EQ(ask(*host, "test/x", "get"), "0");
  EXPECT_FALSE(host->stop("test/none"));
}

TEST(Host, ApiRestartGivesAFreshInstance) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/counter", "counter")));
  ASSERT_TRUE(host->send("test/counter", bytes("inc")));
  EXPECT_EQ(ask(*host, "test/counter", "get"), "1");
  ASSERT_TRUE(host->restart("test/counter"));
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/counter", "get") == "0"; }));
}

TEST(Host, UnhealthyComponentIsRestartedByItsHealthCheck) {
  Events ev;
  HostOptions o;
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  auto s = spec("test/sick", "sick");
  s.supervision.health = rt::HealthCheck{20ms, 100ms, 2};
  ASSERT_TRUE(host->spawn(s));
  EXPECT_EQ(ask(*host, "test/sick", "hi"), "ok");
  EXPECT_EQ(ask(*host, "test/sick", "sick"), "sick");
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::restarted, "test/sick") >= 1; }));
  EXPECT_EQ(ask(*host, "test/sick", "hi"), "ok");  // a fresh, healthy instance
}

TEST(Host, CancelAnswersTheRequesterWithCancelled) {
  auto host = make_host();
  Grants g;
  g.request = {"test/late"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  spawn_late_target(*host);
  auto id = ask(*host, "test/relay", "req test/late 20000");
  EXPECT_EQ(ask(*host, "test/relay", "cancel " + id), "1");
  EXPECT_EQ(ask(*host, "test/relay", "cancel " + id), "0");
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/relay", "last") == "error:1:"; }));
  EXPECT_TRUE(eventually([&] { return host->tracker().stats().late == 1; }));  // the late resolution, dropped
  EXPECT_EQ(ask(*host, "test/relay", "stats"), "1,0,1,0,0");
}

TEST(Host, UnsubscribeStopsDeliveries) {
  auto host = make_host();
  Grants sub;
  sub.subscribe = {"#"};
  auto s = spec("test/sub", "subscriber", sub);
  s.settings = {{"topics", "a.*,b.#"}};
  ASSERT_TRUE(host->spawn(s));
  EXPECT_EQ(host->publish("a.x", bytes("1")).value(), 1u);
  EXPECT_EQ(host->publish("b.y.z", bytes("2")).value(), 1u);
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/sub", "count") == "2"; }));
  (void)ask(*host, "test/sub", "leave a.*");
  EXPECT_EQ(host->publish("a.x", bytes("3")).value(), 0u);
  EXPECT_EQ(host->publish("b.q", bytes("4")).value(), 1u);
  EXPECT_TRUE(eventually([&] { return ask(*host, "test/sub", "count") == "3"; }));
  // After a restart the fresh instance subscribes again in init, once.
  ASSERT_TRUE(host->restart("test/sub"));
  // restarts counts from the start of the restart; running means the fresh init is done.
  EXPECT_TRUE(eventually([&] {
    auto i = host->info("test/sub");
    return i->restarts == 1 && i->status == ComponentStatus::running;
  }));
  EXPECT_EQ(host->publish("a.x", bytes("5")).value(), 1u);
}

}  // namespace
}  // namespace airssys::wasm::test
