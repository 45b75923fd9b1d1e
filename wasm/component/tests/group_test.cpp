// Supervision trees of components (HostSystem::spawn_group): strategies, escalation, giving up,
// all-or-nothing start, stopping a member or a group. Counters lose their count when restarted,
// so a count tells whether a sibling was restarted.
#include "support.hpp"

namespace airssys::wasm::test {
namespace {

GroupSpec group(std::string name, rt::Strategy strategy, std::vector<GroupSpec::Child> children) {
  GroupSpec g;
  g.name = std::move(name);
  g.strategy = strategy;
  g.max_restarts = 100;
  g.children = std::move(children);
  return g;
}

GroupSpec::Child component(std::string address, const std::string& module) {
  return GroupSpec::Child::of(spec(std::move(address), module));
}

void bump(HostSystem& host, std::string_view address, int times) {
  for (int i = 0; i < times; ++i) ASSERT_EQ(ask(host, address, "inc"), std::to_string(i + 1));
}

// Traps test/trap once and waits until `restarted` components were restarted.
void trap_and_wait(HostSystem& host, Events& ev, std::initializer_list<std::string_view> restarted) {
  std::map<std::string_view, std::size_t> before;
  for (auto a : restarted) before[a] = ev.count(EventKind::restarted, a);
  EXPECT_HAS_PREFIX(ask(host, "test/trap", "boom"), "error:target-failed");
  for (auto a : restarted)
    EXPECT_TRUE(eventually([&] { return ev.count(EventKind::restarted, a) > before[a]; })) << a;
}

struct GroupTest : ::testing::Test {
  Events ev;
  std::unique_ptr<HostSystem> host = [this] {
    HostOptions o;
    o.on_event = ev.sink();
    return make_host(std::move(o));
  }();
  std::string detail_of(EventKind k, std::string_view address) {
    std::lock_guard lock(ev.mutex);
    for (auto it = ev.all.rbegin(); it != ev.all.rend(); ++it)
      if (it->kind == k && it->address == address) return it->detail;
    return "";
  }
};

TEST_F(GroupTest, OneForAllRestartsEverySibling) {
  ASSERT_TRUE(host->spawn_group(group("g", rt::Strategy::one_for_all,
                                      {component("test/trap", "trap"), component("test/a", "counter"),
                                       component("test/b", "counter")})));
  bump(*host, "test/a", 3);
  bump(*host, "test/b", 2);
  trap_and_wait(*host, ev, {"test/trap", "test/a", "test/b"});
  EXPECT_EQ(ask(*host, "test/a", "get"), "0");
  EXPECT_EQ(ask(*host, "test/b", "get"), "0");
  EXPECT_HAS(detail_of(EventKind::restarted, "test/a"), "restarted by supervisor 'g' (one-for-all) after:");
  EXPECT_HAS(detail_of(EventKind::restarted, "test/a"), "test/trap");
  EXPECT_EQ(host->info("test/a")->restarts, 1u);
  EXPECT_EQ(host->info("test/a")->failures, 0u);
}

TEST_F(GroupTest, RestForOneRestartsTheFailedAndLaterSiblings) {
  ASSERT_TRUE(host->spawn_group(group("g", rt::Strategy::rest_for_one,
                                      {component("test/a", "counter"), component("test/trap", "trap"),
                                       component("test/b", "counter")})));
  bump(*host, "test/a", 3);
  bump(*host, "test/b", 2);
  trap_and_wait(*host, ev, {"test/trap", "test/b"});
  EXPECT_EQ(ask(*host, "test/a", "get"), "3");  // started before the failed one: kept
  EXPECT_EQ(ask(*host, "test/b", "get"), "0");
  EXPECT_EQ(host->info("test/a")->restarts, 0u);
}

TEST_F(GroupTest, OneForOneRestartsOnlyTheFailed) {
  ASSERT_TRUE(host->spawn_group(
      group("g", rt::Strategy::one_for_one, {component("test/trap", "trap"), component("test/a", "counter")})));
  bump(*host, "test/a", 3);
  trap_and_wait(*host, ev, {"test/trap"});
  EXPECT_EQ(ask(*host, "test/trap", "ok"), "ok");
  EXPECT_EQ(ask(*host, "test/a", "get"), "3");
}

TEST_F(GroupTest, ANestedGroupOverItsIntensityEscalatesToItsParent) {
  auto inner = group("inner", rt::Strategy::one_for_one, {component("test/trap", "trap"), component("test/c", "counter")});
  inner.max_restarts = 1;
  inner.within = 10'000ms;
  ASSERT_TRUE(host->spawn_group(group(
      "root", rt::Strategy::one_for_one, {component("test/d", "counter"), GroupSpec::Child::of(std::move(inner))})));
  bump(*host, "test/c", 4);
  bump(*host, "test/d", 2);
  trap_and_wait(*host, ev, {"test/trap"});  // within inner's intensity: test/c untouched
  EXPECT_EQ(ask(*host, "test/c", "get"), "4");
  trap_and_wait(*host, ev, {"test/trap", "test/c"});  // over it: root restarts all of inner
  EXPECT_EQ(ask(*host, "test/c", "get"), "0");
  EXPECT_HAS(detail_of(EventKind::restarted, "test/c"), "restart intensity exceeded");
  EXPECT_EQ(ask(*host, "test/d", "get"), "2");  // the root's other child is not touched
  EXPECT_TRUE(host->group_running("inner"));
  EXPECT_TRUE(host->group_running("root"));
}

TEST_F(GroupTest, ARootOverItsIntensityGivesUpEveryComponent) {
  auto g = group("g", rt::Strategy::one_for_one, {component("test/trap", "trap"), component("test/a", "counter")});
  g.max_restarts = 1;
  ASSERT_TRUE(host->spawn_group(std::move(g)));
  bump(*host, "test/a", 1);
  (void)ask(*host, "test/trap", "boom");
  ASSERT_TRUE(eventually([&] { return ev.count(EventKind::restarted, "test/trap") == 1; }));
  (void)ask(*host, "test/trap", "boom");
  EXPECT_TRUE(eventually([&] { return !host->group_running("g"); }));
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::stopped, "test/a") == 1; }));
  EXPECT_TRUE(eventually([&] { return ev.count(EventKind::stopped, "test/trap") == 1; }));
  EXPECT_HAS(detail_of(EventKind::stopped, "test/a"), "given up by its supervisor");
  EXPECT_FALSE(host->info("test/a"));
  EXPECT_HAS_PREFIX(ask(*host, "test/a", "get"), "error:target-not-found");
  // The addresses are free again.
  EXPECT_TRUE(host->spawn(spec("test/a", "counter")));
  EXPECT_EQ(ask(*host, "test/a", "get"), "0");
}

TEST_F(GroupTest, StartIsAllOrNothingAndNamesTheComponentAtFault) {
  auto bad = spec("test/c", "counter");
  bad.data = bytes("xyz");  // counter's init refuses it
  auto g = group("g", rt::Strategy::one_for_one,
                 {component("test/echo", "echo"),
                  GroupSpec::Child::of(group("inner", rt::Strategy::one_for_one, {GroupSpec::Child::of(bad)}))});
  auto r = host->spawn_group(g);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::guest_error);
  EXPECT_EQ(r.error().context.rfind("test/c: ", 0), 0u) << r.error().context;
  EXPECT_HAS(r.error().context, "counter: refused data");
  EXPECT_FALSE(host->info("test/echo"));
  EXPECT_FALSE(host->group_running("g"));
  EXPECT_TRUE(host->list().empty());
  // Everything it took is free again.
  g.children.pop_back();
  EXPECT_TRUE(host->spawn_group(g));
  EXPECT_EQ(ask(*host, "test/echo", "hi"), "hi");
}

TEST_F(GroupTest, BadGroupsAreRefused) {
  auto empty = host->spawn_group(group("g", rt::Strategy::one_for_one, {}));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_config);
  auto unnamed = host->spawn_group(group("", rt::Strategy::one_for_one, {component("test/a", "counter")}));
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().code, Errc::invalid_config);
  auto twice = host->spawn_group(
      group("g", rt::Strategy::one_for_one, {component("test/a", "counter"), component("test/a", "echo")}));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::name_taken);
  auto missing = host->spawn_group(group("g", rt::Strategy::one_for_one, {component("test/a", "no-such-module")}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::io_error);
  EXPECT_TRUE(host->list().empty());
  ASSERT_TRUE(host->spawn_group(group("g", rt::Strategy::one_for_one, {component("test/a", "counter")})));
  auto taken = host->spawn_group(group("g", rt::Strategy::one_for_one, {component("test/b", "counter")}));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Errc::name_taken);
  EXPECT_FALSE(host->info("test/b"));
}

TEST_F(GroupTest, StoppingAMemberOrANestedGroup) {
  ASSERT_TRUE(host->spawn_group(group(
      "root", rt::Strategy::one_for_all,
      {component("test/a", "counter"), component("test/b", "counter"),
       GroupSpec::Child::of(group("inner", rt::Strategy::one_for_one, {component("test/c", "counter")}))})));
  bump(*host, "test/a", 2);
  ASSERT_TRUE(host->stop("test/b"));  // alone, and not restarted (nor its siblings)
  EXPECT_FALSE(host->info("test/b"));
  EXPECT_EQ(ask(*host, "test/a", "get"), "2");
  ASSERT_TRUE(host->stop_group("inner"));
  EXPECT_FALSE(host->info("test/c"));
  EXPECT_FALSE(host->group_running("inner"));
  EXPECT_EQ(host->stop_group("inner").error().code, Errc::not_found);
  EXPECT_EQ(ask(*host, "test/a", "get"), "2");
  EXPECT_TRUE(host->group_running("root"));
  ASSERT_TRUE(host->stop_group("root"));
  EXPECT_TRUE(host->list().empty());
  EXPECT_TRUE(host->spawn_group(group("root", rt::Strategy::one_for_one, {component("test/a", "counter")})));
}

}  // namespace
}  // namespace airssys::wasm::test
