// Components on the AOT tier (ComponentSpec::tier): the same messages, state, traps and
// restarts as on the interpreter; `automatic` starts on the interpreter and restarts on native code.
#include "support.hpp"

namespace airssys::wasm::test {
namespace {

HostOptions with_cache(HostOptions o = {}) {
  o.aot.cache_dir = AIRSSYS_TEST_AOT_CACHE;
  return o;
}

ComponentSpec on(ComponentTier tier, ComponentSpec s) {
  s.tier = tier;
  return s;
}

TEST(Tier, AotComponentsAnswerAndKeepState) {
  auto host = make_host(with_cache());
  ASSERT_TRUE(host->spawn(on(ComponentTier::aot, spec("test/echo", "echo"))));
  auto s = on(ComponentTier::aot, spec("test/counter", "counter"));
  s.settings = {{"start", "10"}};
  ASSERT_TRUE(host->spawn(s));
  EXPECT_EQ(ask(*host, "test/echo", "hello"), "hello");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(host->send("test/counter", bytes("inc")));
  EXPECT_EQ(ask(*host, "test/counter", "get"), "15");
  auto info = host->info("test/counter");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->tier, Tier::aot);
}

TEST(Tier, AotTrapFailsOnlyThatComponentAndItIsRestarted) {
  Events ev;
  auto o = with_cache();
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(on(ComponentTier::aot, spec("test/trap", "trap"))));
  auto r = ask(*host, "test/trap", "boom");
  EXPECT_TRUE(r.starts_with("error:target-failed:")) << r;
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::restarted, "test/trap") == 1; }));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");
  EXPECT_EQ(host->info("test/trap")->tier, Tier::aot);
}

TEST(Tier, AutomaticStartsAtOnceAndRestartsOnNativeCode) {
  Events ev;
  auto o = with_cache();
  o.on_event = ev.sink();
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(on(ComponentTier::automatic, spec("test/trap", "trap"))));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");  // answered by whichever instance runs now
  // The background compile replaces the module for the next instance; the running one keeps
  // its state on the interpreter until it is restarted.
  EXPECT_TRUE(eventually([&] { return host->info("test/trap")->tier == Tier::aot; }, 60'000ms));
  auto r = ask(*host, "test/trap", "boom");
  EXPECT_TRUE(r.starts_with("error:target-failed:")) << r;
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::restarted, "test/trap") == 1; }));
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");
}

}  // namespace
}  // namespace airssys::wasm::test

namespace airssys::wasm::test {
namespace {
// Every suite runs twice (ctest "aot/..." with AIRSSYS_TEST_TIER=aot): prove the components of
// the second run really are native code.
TEST(Tier, TheSuitesRunOnTheTierTheyAskFor) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  EXPECT_EQ(host->info("test/echo")->tier, test_tier() == ComponentTier::aot ? Tier::aot : Tier::interp);
  EXPECT_EQ(ask(*host, "test/echo", "x"), "x");
}
}  // namespace
}  // namespace airssys::wasm::test
