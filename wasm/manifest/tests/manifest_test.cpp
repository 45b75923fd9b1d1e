#include <gtest/gtest.h>
#include <unistd.h>

#include <airssys/wasm/manifest.hpp>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace airssys::wasm::manifest;

namespace {

// A folder with two (fake) wasm files; the manifest library only checks that they exist.
class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("airssys_manifest_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "mods");
    std::ofstream(dir_ / "mods/echo.wasm") << "x";
    std::ofstream(dir_ / "mods/counter.wasm") << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }

  LoadResult parse_text(std::string_view text) { return parse(text, dir_ / "system.toml"); }

  // The one error of class `p` (fails if there is not exactly one diagnostic of that class).
  static const Diagnostic& only(const LoadResult& r, Problem p) {
    static Diagnostic none;
    int n = 0;
    const Diagnostic* found = &none;
    for (const auto& d : r.diagnostics)
      if (d.problem == p) {
        ++n;
        found = &d;
      }
    EXPECT_EQ(n, 1) << dump(r);
    return *found;
  }
  static std::string dump(const LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
    return s;
  }

  fs::path dir_;
};

constexpr std::string_view kGood = R"(# a full system
[system]
name = "demo"
data_dir = "data"
audit_log = "audit.jsonl"
workers = 2
run_for = "1m"

[defaults.limits]
memory = "8MiB"
deadline = "500ms"

[[component]]
address = "demo/echo"
wasm = "mods/echo.wasm"
codecs = ["raw", "json"]
restart = "transient"
health = { interval = "2s", timeout = "1s", failures = 2 }
[component.settings]
greeting = "hello"
count = 3
verbose = true
[component.grants]
send = ["demo/counter"]
request = ["demo/*"]
publish = ["readings.*"]
subscribe = ["readings.#"]
storage = { quota = "64KiB" }
[component.limits]
fuel = 1000000
mailbox = 128
mailbox_policy = "drop-oldest"
max_message = "64KiB"

[[component]]
address = "demo/counter"
wasm = "mods/counter.wasm"
grants = { storage = true }

[supervisor.main]
strategy = "rest-for-one"
max_restarts = 3
within = "5s"
backoff = { initial = "100ms", max = "2s", multiplier = 1.5 }
children = ["demo/echo", "inner"]

[supervisor.inner]
restart = "transient"
children = ["demo/counter"]
)";

TEST_F(ManifestTest, ParsesAFullManifest) {
  auto r = parse_text(kGood);
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const auto& m = *r.manifest;
  EXPECT_EQ(m.name, "demo");
  EXPECT_EQ(*m.data_dir, dir_ / "data");
  EXPECT_EQ(*m.audit_log, dir_ / "audit.jsonl");
  EXPECT_EQ(m.workers, 2u);
  EXPECT_EQ(m.run_for, Millis(60000));
  ASSERT_EQ(m.components.size(), 2u);
  const auto& echo = m.components[0];
  EXPECT_EQ(echo.address, "demo/echo");
  EXPECT_EQ(echo.wasm, dir_ / "mods/echo.wasm");
  EXPECT_EQ(echo.codecs, (std::vector<std::string>{"raw", "json"}));
  EXPECT_EQ(echo.restart, RestartPolicy::transient);
  ASSERT_TRUE(echo.health);
  EXPECT_EQ(echo.health->interval, Millis(2000));
  EXPECT_EQ(echo.health->failures, 2u);
  using KV = std::pair<std::string, std::string>;
  EXPECT_EQ(echo.settings, (std::vector<KV>{{"greeting", "hello"}, {"count", "3"}, {"verbose", "true"}}));
  EXPECT_EQ(echo.grants.send, (std::vector<std::string>{"demo/counter"}));
  EXPECT_EQ(echo.grants.subscribe, (std::vector<std::string>{"readings.#"}));
  EXPECT_TRUE(echo.grants.storage);
  EXPECT_EQ(echo.grants.storage_quota_bytes, 64u * 1024);
  EXPECT_EQ(echo.limits.memory_bytes, 8u << 20);  // from the defaults
  EXPECT_EQ(echo.limits.deadline, Millis(500));
  EXPECT_EQ(echo.limits.fuel, 1000000u);
  EXPECT_EQ(echo.limits.mailbox, 128u);
  EXPECT_EQ(echo.limits.mailbox_policy, MailboxPolicy::drop_oldest);
  EXPECT_EQ(echo.limits.max_message_bytes, 64u * 1024);
  EXPECT_EQ(echo.where.line, 13u);
  const auto& counter = m.components[1];
  EXPECT_TRUE(counter.grants.storage);
  EXPECT_EQ(counter.grants.storage_quota_bytes, 1u << 20);
  EXPECT_EQ(counter.limits.memory_bytes, 8u << 20);
  ASSERT_EQ(m.supervisors.size(), 2u);
  const auto* main = m.supervisor("main");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->strategy, Strategy::rest_for_one);
  EXPECT_EQ(main->max_restarts, 3u);
  EXPECT_EQ(main->within, Millis(5000));
  EXPECT_EQ(main->backoff.initial, Millis(100));
  EXPECT_EQ(main->backoff.max, Millis(2000));
  EXPECT_DOUBLE_EQ(main->backoff.multiplier, 1.5);
  ASSERT_EQ(main->children.size(), 2u);
  EXPECT_EQ(main->children[0].kind, ChildRef::Kind::component);
  EXPECT_EQ(main->children[1].kind, ChildRef::Kind::supervisor);
  EXPECT_EQ(m.supervisor("inner")->restart, RestartPolicy::transient);
  EXPECT_EQ(m.parent_of("demo/counter"), m.supervisor("inner"));
  ASSERT_EQ(m.top_level.size(), 1u);
  EXPECT_EQ(m.top_level[0].name, "main");
}

TEST_F(ManifestTest, DefaultsAndTopLevelComponents) {
  auto r = parse_text("[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& c = r.manifest->components.at(0);
  EXPECT_EQ(r.manifest->name, "system");
  EXPECT_FALSE(r.manifest->data_dir);
  EXPECT_EQ(c.limits.memory_bytes, 16u << 20);
  EXPECT_EQ(c.limits.deadline, Millis(1000));
  EXPECT_EQ(c.restart, RestartPolicy::permanent);
  EXPECT_FALSE(c.grants.storage);
  EXPECT_FALSE(c.grants.any_messaging());
  ASSERT_EQ(r.manifest->top_level.size(), 1u);
  EXPECT_EQ(r.manifest->top_level[0].kind, ChildRef::Kind::component);
}

TEST_F(ManifestTest, SyntaxErrorHasLineAndColumn) {
  auto r = parse_text("[system]\nname = \"x\"\nworkers = = 2\n");
  EXPECT_FALSE(r.ok());
  const auto& d = only(r, Problem::syntax);
  EXPECT_EQ(d.where.line, 3u);
  EXPECT_GT(d.where.column, 0u);
  EXPECT_NE(d.to_string().find("system.toml:3:"), std::string::npos) << d.to_string();
}

TEST_F(ManifestTest, UnknownKeySuggestsTheClosest) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n\n"
      "[supervisor.main]\nstratgy = \"one-for-all\"\nchildren = [\"a/b\"]\n");
  EXPECT_FALSE(r.ok());
  const auto& d = only(r, Problem::unknown_key);
  EXPECT_EQ(d.where.line, 6u);
  EXPECT_EQ(d.where.column, 1u);
  EXPECT_EQ(d.hint, "did you mean 'strategy'?");
  EXPECT_NE(d.to_string().find("system.toml:6:1: error: unknown key 'stratgy'"), std::string::npos) << d.to_string();
}

TEST_F(ManifestTest, UnknownKeyAliasesAndLists) {
  auto r = parse_text("[[component]]\naddress = \"a/b\"\npath = \"mods/echo.wasm\"\nzzzz = 1\n");
  EXPECT_FALSE(r.ok());
  ASSERT_GE(r.diagnostics.size(), 3u) << dump(r);  // path, zzzz, missing wasm
  bool alias = false, listed = false;
  for (const auto& d : r.diagnostics) {
    if (d.problem != Problem::unknown_key) continue;
    if (d.message.find("'path'") != std::string::npos) alias = d.hint == "did you mean 'wasm'?";
    if (d.message.find("'zzzz'") != std::string::npos) listed = d.hint.find("allowed here:") == 0;
  }
  EXPECT_TRUE(alias) << dump(r);
  EXPECT_TRUE(listed) << dump(r);
}

TEST_F(ManifestTest, WrongTypes) {
  auto r = parse_text(
      "[system]\nworkers = \"two\"\n"                                                    // line 2
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\ncodecs = \"raw\"\n"  // line 6
      "[component.limits]\ndeadline = 500\n"                                             // line 8
      "[component.settings]\nnested = { x = 1 }\n");                                     // line 10
  EXPECT_FALSE(r.ok());
  std::vector<std::uint32_t> lines;
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.problem, Problem::wrong_type) << d.to_string();
    lines.push_back(d.where.line);
  }
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{2, 6, 8, 10})) << dump(r);
  EXPECT_EQ(r.diagnostics[1].hint, "write [\"raw\"]");
  EXPECT_NE(r.diagnostics[2].hint.find("500ms"), std::string::npos);
}

TEST_F(ManifestTest, ComponentMustBeAnArrayOfTables) {
  auto r = parse_text("[component]\naddress = \"a/b\"\n");
  const auto& d = only(r, Problem::wrong_type);
  EXPECT_NE(d.hint.find("[[component]]"), std::string::npos);
}

TEST_F(ManifestTest, MissingKeys) {
  auto r = parse_text(
      "[[component]]\nwasm = \"mods/echo.wasm\"\n[[component]]\naddress = \"a/b\"\n"
      "[supervisor.s]\nstrategy = \"one-for-one\"\n");
  EXPECT_FALSE(r.ok());
  int n = 0;
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.problem, Problem::missing_key) << d.to_string();
    ++n;
  }
  EXPECT_EQ(n, 3) << dump(r);
  EXPECT_EQ(r.diagnostics[0].where.line, 1u);
  EXPECT_EQ(r.diagnostics[1].where.line, 3u);
  EXPECT_EQ(r.diagnostics[2].where.line, 5u);
}

TEST_F(ManifestTest, TierPerComponent) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\ntier = \"aot\"\n"
      "[[component]]\naddress = \"a/c\"\nwasm = \"mods/echo.wasm\"\ntier = \"auto\"\n"
      "[[component]]\naddress = \"a/d\"\nwasm = \"mods/echo.wasm\"\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.manifest->components.at(0).tier, Tier::aot);
  EXPECT_EQ(r.manifest->components.at(1).tier, Tier::automatic);
  EXPECT_EQ(r.manifest->components.at(2).tier, Tier::interp);
  auto bad = parse_text("[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\ntier = \"aott\"\n");
  EXPECT_FALSE(bad.ok());
  ASSERT_EQ(bad.diagnostics.size(), 1u) << dump(bad);
  EXPECT_EQ(bad.diagnostics[0].problem, Problem::bad_value);
  EXPECT_EQ(bad.diagnostics[0].hint, "did you mean 'aot'?");
}

TEST_F(ManifestTest, BadEnumValueSuggests) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\nrestart = \"permanant\"\n"
      "[supervisor.s]\nstrategy = \"one_for_all\"\nchildren = [\"a/b\"]\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 2u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].problem, Problem::bad_value);
  EXPECT_EQ(r.diagnostics[0].where.line, 4u);
  EXPECT_EQ(r.diagnostics[0].where.column, 11u);
  EXPECT_EQ(r.diagnostics[0].hint, "did you mean 'permanent'?");
  EXPECT_EQ(r.diagnostics[1].hint, "did you mean 'one-for-all'?");
}

TEST_F(ManifestTest, BadValues) {
  auto r = parse_text(
      "[[component]]\naddress = \"not-an-address\"\nwasm = \"mods/echo.wasm\"\n"                  // 2
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\ncodecs = [\"bad codec\"]\n"   // 7
      "[component.limits]\nmemory = \"12 parsecs\"\ndeadline = \"5 fortnights\"\nmailbox = -1\n"  // 9, 10, 11
      "[supervisor.s]\nmax_restarts = 3\nwithin = \"0s\"\nchildren = [\"a/b\"]\n");               // 14
  EXPECT_FALSE(r.ok());
  std::vector<std::uint32_t> lines;
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.problem, Problem::bad_value) << d.to_string();
    lines.push_back(d.where.line);
  }
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{2, 7, 9, 10, 11, 14})) << dump(r);
}

TEST_F(ManifestTest, BadPatterns) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n"
      "[component.grants]\nsend = [\"a/b\", \"a/*x\"]\npublish = [\"t.#.x\"]\nsubscribe = [\"t..x\"]\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 3u) << dump(r);
  for (const auto& d : r.diagnostics) EXPECT_EQ(d.problem, Problem::bad_pattern) << d.to_string();
  EXPECT_EQ(r.diagnostics[0].where.line, 5u);
  EXPECT_EQ(r.diagnostics[0].where.column, 16u);  // the second element
  EXPECT_EQ(r.diagnostics[1].where.line, 6u);
  EXPECT_EQ(r.diagnostics[2].where.line, 7u);
}

TEST_F(ManifestTest, MissingWasmFile) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/nope.wasm\"\n"
      "[[component]]\naddress = \"a/c\"\nwasm = \"mods\"\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 2u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].problem, Problem::missing_file);
  EXPECT_EQ(r.diagnostics[0].where.line, 3u);
  EXPECT_EQ(r.diagnostics[0].where.column, 8u);
  EXPECT_NE(r.diagnostics[0].message.find("does not exist"), std::string::npos);
  EXPECT_NE(r.diagnostics[0].hint.find((dir_ / "mods/nope.wasm").string()), std::string::npos);
  EXPECT_NE(r.diagnostics[1].message.find("not a regular file"), std::string::npos);
  // Without the file check the same manifest is valid.
  EXPECT_TRUE(parse("[[component]]\naddress = \"a/b\"\nwasm = \"mods/nope.wasm\"\n", dir_ / "s.toml",
                    Options{.check_files = false})
                  .ok());
}

TEST_F(ManifestTest, DuplicateAddress) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n"
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/counter.wasm\"\n");
  const auto& d = only(r, Problem::duplicate);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(d.where.line, 5u);
  EXPECT_EQ(d.where.column, 11u);
  EXPECT_EQ(d.hint, "first used at line 1");
}

TEST_F(ManifestTest, GrantNamingAnUnknownAddress) {
  auto r = parse_text(
      "[[component]]\naddress = \"demo/echo\"\nwasm = \"mods/echo.wasm\"\n"
      "grants = { send = [\"demo/ecko\"], request = [\"other/*\"] }\n");
  EXPECT_FALSE(r.ok());
  const auto& d = only(r, Problem::unknown_reference);
  EXPECT_EQ(d.where.line, 4u);
  EXPECT_EQ(d.hint, "did you mean 'demo/echo'?");
  const auto& w = only(r, Problem::unmatched_pattern);  // a wildcard matching nothing: a warning only
  EXPECT_EQ(w.severity, Severity::warning);
}

TEST_F(ManifestTest, WarningsDoNotBlock) {
  auto r = parse_text(
      "[[component]]\naddress = \"demo/echo\"\nwasm = \"mods/echo.wasm\"\n"
      "grants = { send = [\"other/*\"] }\n");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.errors(), 0u);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics[0].to_string().find(": warning: "), std::string::npos);
}

TEST_F(ManifestTest, UnknownSupervisorChildren) {
  auto r = parse_text(
      "[[component]]\naddress = \"demo/echo\"\nwasm = \"mods/echo.wasm\"\n"
      "[supervisor.main]\nchildren = [\"demo/eco\", \"innr\"]\n[supervisor.inner]\nchildren = []\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 2u) << dump(r);
  EXPECT_EQ(r.diagnostics[0].problem, Problem::unknown_reference);
  EXPECT_EQ(r.diagnostics[0].hint, "did you mean 'demo/echo'?");
  EXPECT_EQ(r.diagnostics[1].hint, "did you mean 'inner'?");
  EXPECT_EQ(r.diagnostics[1].where.column, 25u);
}

TEST_F(ManifestTest, ChildUnderTwoSupervisors) {
  auto r = parse_text(
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n"
      "[supervisor.s1]\nchildren = [\"a/b\"]\n[supervisor.s2]\nchildren = [\"a/b\"]\n");
  const auto& d = only(r, Problem::duplicate);
  EXPECT_EQ(d.where.line, 7u);
  EXPECT_NE(d.message.find("already a child of supervisor 's1'"), std::string::npos);
}

TEST_F(ManifestTest, SupervisionCycle) {
  auto r = parse_text(
      "[supervisor.a]\nchildren = [\"b\"]\n"
      "[supervisor.b]\nchildren = [\"c\"]\n"
      "[supervisor.c]\nchildren = [\"a\"]\n"
      "[supervisor.d]\nchildren = [\"d\"]\n");
  EXPECT_FALSE(r.ok());
  int cycles = 0;
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.problem, Problem::cycle) << d.to_string();
    ++cycles;
  }
  ASSERT_EQ(cycles, 2) << dump(r);
  EXPECT_EQ(r.diagnostics[0].where.line, 6u);  // c's child "a" closes a -> b -> c -> a
  EXPECT_NE(r.diagnostics[0].message.find("a -> b -> c -> a"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_EQ(r.diagnostics[1].where.line, 8u);
  EXPECT_NE(r.diagnostics[1].message.find("d -> d"), std::string::npos);
}

TEST_F(ManifestTest, CollectsEveryError) {
  auto r = parse_text(
      "[sytem]\nname = \"x\"\n"
      "[[component]]\naddress = \"a/b\"\nwasm = \"mods/missing.wasm\"\nrestart = \"never\"\n"
      "grants = { send = [\"x/y\"] }\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors(), 4u) << dump(r);  // unknown key, missing file, bad value, unknown reference
}

TEST_F(ManifestTest, LoadUnreadableFile) {
  auto r = load(dir_ / "absent.toml");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].where.line, 0u);
  EXPECT_NE(r.diagnostics[0].to_string().find("absent.toml: error: cannot read"), std::string::npos);
}

TEST_F(ManifestTest, LoadResolvesRelativeToTheManifest) {
  std::ofstream(dir_ / "sys.toml") << "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n";
  auto r = load(dir_ / "sys.toml");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.manifest->components[0].wasm, dir_ / "mods/echo.wasm");
}

TEST(ManifestSyntax, Durations) {
  EXPECT_EQ(parse_duration("250ms"), Millis(250));
  EXPECT_EQ(parse_duration("1.5s"), Millis(1500));
  EXPECT_EQ(parse_duration("2m"), Millis(120000));
  EXPECT_EQ(parse_duration("1h"), Millis(3600000));
  EXPECT_EQ(parse_duration("0s"), Millis(0));
  for (auto bad : {"", "5", "s", "1.s", ".5s", "1.2.3s", "1.0005s", "-1s", "1 s", "3d"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(ManifestSyntax, Sizes) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("10KB"), 10000u);
  for (auto bad : {"", "MiB", "1.5MiB", "16 MiB", "16mib", "99999999999999999999"})
    EXPECT_FALSE(parse_size(bad)) << bad;
}

TEST(ManifestSyntax, AddressesAndPatterns) {
  EXPECT_TRUE(valid_address("demo/echo"));
  EXPECT_TRUE(valid_address("demo.v2/echo-1_x"));
  for (auto bad : {"", "demo", "demo/", "/echo", "a/b/c", "demo/*", "-a/b", "a b/c"})
    EXPECT_FALSE(valid_address(bad)) << bad;
  EXPECT_TRUE(valid_address_pattern("*"));
  EXPECT_TRUE(valid_address_pattern("demo/*"));
  EXPECT_TRUE(valid_address_pattern("demo/#"));
  EXPECT_FALSE(valid_address_pattern("demo/#/x"));
  EXPECT_FALSE(valid_address_pattern("demo/e*"));
  EXPECT_FALSE(valid_address_pattern("demo//x"));
  EXPECT_TRUE(address_matches("*", "a/b"));
  EXPECT_TRUE(address_matches("a/*", "a/b"));
  EXPECT_FALSE(address_matches("a/*", "b/b"));
  EXPECT_TRUE(address_matches("a/#", "a/b"));
  EXPECT_TRUE(valid_topic_pattern("readings.*"));
  EXPECT_TRUE(valid_topic_pattern("readings/#"));
  EXPECT_TRUE(valid_topic_pattern("#"));
  EXPECT_FALSE(valid_topic_pattern("readings.#.x"));
  EXPECT_FALSE(valid_topic_pattern("a..b"));
}

TEST(ManifestSyntax, Closest) {
  const std::vector<std::string> keys{"strategy", "max_restarts", "within", "children"};
  EXPECT_EQ(closest("stratgy", keys), "strategy");
  EXPECT_EQ(closest("Children", keys), "children");
  EXPECT_EQ(closest("max_restart", keys), "max_restarts");
  EXPECT_FALSE(closest("banana", keys));
}

}  // namespace

namespace {
TEST(ManifestOrder, SupervisorsAndSettingsKeepFileOrder) {
  auto r = parse(
      "[supervisor.zeta]\nchildren = [\"alpha\"]\n[supervisor.alpha]\nchildren = []\n"
      "[[component]]\naddress = \"a/b\"\nwasm = \"x.wasm\"\nsettings = { z = \"1\", a = \"2\" }\n",
      "/nonexistent/s.toml", Options{.check_files = false});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.manifest->supervisors.size(), 2u);
  EXPECT_EQ(r.manifest->supervisors[0].name, "zeta");
  EXPECT_EQ(r.manifest->components[0].settings[0].first, "z");
  ASSERT_EQ(r.manifest->top_level.size(), 2u);
  EXPECT_EQ(r.manifest->top_level[0].name, "zeta");
  EXPECT_EQ(r.manifest->top_level[1].name, "a/b");
}
}  // namespace

namespace {
TEST(ManifestDoc, TheFullExampleIsValid) {
  std::ifstream in(AIRSSYS_MANIFEST_DOC);
  ASSERT_TRUE(in) << AIRSSYS_MANIFEST_DOC;
  std::stringstream s;
  s << in.rdbuf();
  const std::string doc = s.str();
  const auto begin = doc.find("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  const auto end = doc.find("```", begin + 8);
  auto r = parse(doc.substr(begin + 8, end - begin - 8), "/docs/demo.toml", Options{.check_files = false});
  std::string diags;
  for (const auto& d : r.diagnostics) diags += d.to_string() + "\n";
  ASSERT_TRUE(r.ok()) << diags;
  EXPECT_TRUE(r.diagnostics.empty()) << diags;
  EXPECT_EQ(r.manifest->components.size(), 3u);
  EXPECT_EQ(r.manifest->supervisors.size(), 2u);
  EXPECT_EQ(r.manifest->components[0].limits.fuel, 10'000'000u);
}
}  // namespace
