// Drives the real `airssys` binary: help, usage errors, inspect, invoke, check, new.
#include <fstream>
#include <sstream>

#include "cli_fixture.hpp"

using namespace airssys_cli_test;

namespace {

TEST_F(CliTest, HelpEverywhere) {
  auto r = airssys({"--help"});
  EXPECT_EQ(r.code, 0);
  for (auto cmd : {"inspect", "check", "invoke", "new"}) EXPECT_HAS(r.out, cmd);
  for (std::string cmd : {"inspect", "check", "invoke", "new"}) {
    auto h = airssys({cmd, "--help"});
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_HAS(h.out, "Usage");
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  auto none = airssys({});
  EXPECT_EQ(none.code, 2);
  EXPECT_FALSE(none.err.empty());
  auto unknown = airssys({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  auto missing = airssys({"invoke", guest("echo")});  // no --message
  EXPECT_EQ(missing.code, 2);
  EXPECT_HAS(missing.err, "--message");
  auto lang = airssys({"new", "x", "--lang", "rust"});
  EXPECT_EQ(lang.code, 2);
}

TEST_F(CliTest, InspectValidComponent) {
  auto r = airssys({"inspect", guest("storage")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "sha256");
  EXPECT_HAS(r.out, "component yes");
  EXPECT_HAS(r.out, "storage.set");
  EXPECT_HAS(r.out, "grants.storage = true");
  EXPECT_HAS(r.out, "airssys:component/lifecycle@0.1.0#handle-message");
}

TEST_F(CliTest, InspectJson) {
  auto r = airssys({"inspect", guest("publisher"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["size"].get<std::size_t>(), fs::file_size(guest("publisher")));
  EXPECT_EQ(j["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["component"].get<bool>());
  EXPECT_FALSE(j["memories"].empty());
  bool publish = false;
  for (const auto& g : j["grants_needed"]) publish |= g["grant"] == "publish";
  EXPECT_TRUE(publish) << j.dump();
  auto interfaces = j["contract"]["interfaces"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(interfaces.begin(), interfaces.end(), "messaging"), interfaces.end());
}

TEST_F(CliTest, InspectPlainModuleIsNotAComponent) {
  const auto file = write("empty.wasm", std::string_view("\0asm\1\0\0\0", 8));
  auto r = airssys({"inspect", file.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "component no");
  auto j = nlohmann::json::parse(airssys({"inspect", file.string(), "--json"}).out);
  EXPECT_FALSE(j["component"].get<bool>());
  EXPECT_TRUE(j["contract"].contains("exports_error"));
}

TEST_F(CliTest, InspectInvalidFile) {
  const auto file = write("garbage.wasm", "this is not wasm");
  auto r = airssys({"inspect", file.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_HAS(r.err, "garbage.wasm");
  EXPECT_HAS(r.err, "offset");
  EXPECT_HAS(r.err, "malformed");
}

TEST_F(CliTest, InspectTruncatedFile) {
  const std::string bytes = slurp(guest("echo"));
  ASSERT_GT(bytes.size(), 100u);
  const auto file = write("truncated.wasm", std::string_view(bytes).substr(0, bytes.size() / 2));
  auto r = airssys({"inspect", file.string(), "--json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_HAS(r.err, "truncated.wasm");
  EXPECT_HAS(r.err, "offset 0x");
}

TEST_F(CliTest, InspectMissingFile) {
  auto r = airssys({"inspect", (dir_ / "absent.wasm").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "absent.wasm");
}

TEST_F(CliTest, InvokeEcho) {
  auto r = airssys({"invoke", guest("echo"), "--message", "hello airssys"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello airssys\n");
  EXPECT_HAS(r.err, "invoke/echo");  // echo logs its address at init
}

TEST_F(CliTest, InvokeEchoCppSelfAddressAndMessageFile) {
  auto r = airssys({"invoke", guest("echo_cpp"), "--message", "whoami", "--address", "demo/me"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "demo/me\n");
  write("msg.bin", std::string_view("\x01\x02\xff", 3));
  auto b = airssys({"invoke", guest("echo"), "--message", "@msg.bin"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.out, "0102ff\n");
  EXPECT_HAS(b.err, "hex");
}

TEST_F(CliTest, InvokeAsSendWithCodecAndHex) {
  auto r = airssys({"invoke", guest("echo"), "--message", "{}", "--codec", "json", "--send", "--hex"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "7b7d\n");
}

TEST_F(CliTest, InvokeStorageIsInMemory) {
  auto r = airssys({"invoke", guest("storage"), "--message", "usage", "--quota", "4KiB"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0,0,4096\n");
  auto set = airssys({"invoke", guest("storage"), "--message", "set k v"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out, "ok\n");
}

TEST_F(CliTest, InvokeTimersRunWithWait) {
  auto r = airssys({"invoke", guest("timer"), "--message", "start 10", "--wait", "2s"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_HAS(r.err, "delivering timer 1");
  auto no_wait = airssys({"invoke", guest("timer"), "--message", "start 10"});
  ASSERT_EQ(no_wait.code, 0) << no_wait.err;
  EXPECT_HAS(no_wait.err, "undelivered");
}

TEST_F(CliTest, InvokeMessagingToOthersIsNotFound) {
  auto r = airssys({"invoke", guest("publisher"), "--message", "x", "--setting", "topic=news.a"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "published\n");
  EXPECT_HAS(r.err, "news.a");
}

TEST_F(CliTest, InvokeTrapIsARuntimeFailure) {
  auto r = airssys({"invoke", guest("trap"), "--message", "boom"});
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.err, "trap");
  auto ok = airssys({"invoke", guest("trap"), "--message", "ok"});
  EXPECT_EQ(ok.code, 0);
}

TEST_F(CliTest, InvokeInvalidInput) {
  EXPECT_EQ(airssys({"invoke", (dir_ / "absent.wasm").string(), "--message", "x"}).code, 2);
  EXPECT_EQ(airssys({"invoke", guest("echo"), "--message", "@absent.txt"}).code, 2);
  EXPECT_EQ(airssys({"invoke", guest("echo"), "--message", "x", "--setting", "novalue"}).code, 2);
  EXPECT_EQ(airssys({"invoke", guest("echo"), "--message", "x", "--address", "bad"}).code, 2);
  const auto empty = write("empty.wasm", std::string_view("\0asm\1\0\0\0", 8));
  auto r = airssys({"invoke", empty.string(), "--message", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "missing");
}

// --- check ---

std::string good_manifest(const std::string& guests) {
  return "[system]\nname = \"t\"\n\n"
         "[[component]]\naddress = \"t/echo\"\nwasm = \"" +
         guests +
         "/echo.wasm\"\n\n"
         "[[component]]\naddress = \"t/store\"\nwasm = \"" +
         guests +
         "/storage.wasm\"\n"
         "grants = { storage = { quota = \"64KiB\" } }\n\n"
         "[[component]]\naddress = \"t/pub\"\nwasm = \"" +
         guests +
         "/publisher.wasm\"\n"
         "grants = { publish = [\"news.*\"], send = [\"t/echo\"] }\n\n"
         "[supervisor.main]\nstrategy = \"one-for-all\"\nchildren = [\"t/echo\", \"t/store\"]\n";
}

TEST_F(CliTest, CheckGoodManifest) {
  const auto file = write("good.toml", good_manifest(AIRSSYS_GUEST_DIR));
  auto r = airssys({"check", file.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "ok: system 't', 3 components, 1 supervisor");
}

TEST_F(CliTest, CheckRelativePaths) {
  fs::create_directories(dir_ / "mods");
  fs::copy_file(guest("echo"), dir_ / "mods/echo.wasm");
  fs::create_directories(dir_ / "elsewhere");
  const auto file = write("rel.toml", "[[component]]\naddress = \"a/b\"\nwasm = \"mods/echo.wasm\"\n");
  auto r = run_program(AIRSSYS_BIN, {"check", file.string()});
  EXPECT_EQ(r.code, 0) << r.err;
}

struct ErrorCase {
  const char* name;
  std::string toml;
  std::string expect;  ///< "LINE:COL: error: ... [class]" fragment
};

TEST_F(CliTest, CheckReportsEveryErrorClassWithLineAndColumn) {
  const std::string g = AIRSSYS_GUEST_DIR;
  const std::string echo = "[[component]]\naddress = \"t/echo\"\nwasm = \"" + g + "/echo.wasm\"\n";
  const std::vector<ErrorCase> cases = {
      {"syntax", "[system\n", ":1:"},
      {"unknown_key", echo + "adress = \"x\"\n", ":4:1: error: unknown key 'adress'"},
      {"unknown_key_hint", echo + "[supervisor.s]\nstratgy = \"one-for-one\"\nchildren = []\n",
       "did you mean 'strategy'?"},
      {"wrong_type", echo + "codecs = \"json\"\n", ":4:10: error: component 't/echo': codecs must be an array"},
      {"missing_key", "[[component]]\naddress = \"t/x\"\n", ":1:1: error: component 't/x' has no 'wasm' [missing-key]"},
      {"bad_value", echo + "restart = \"sometimes\"\n", ":4:11: error: component 't/echo': restart: 'sometimes'"},
      {"bad_enum_hint", echo + "[supervisor.s]\nstrategy = \"one_for_one\"\nchildren = []\n",
       "did you mean 'one-for-one'?"},
      {"bad_pattern", echo + "grants = { send = [\"t/e*\"] }\n",
       ":4:20: error: component 't/echo': grants.send: 't/e*'"},
      {"missing_file", "[[component]]\naddress = \"t/x\"\nwasm = \"nope.wasm\"\n",
       ":3:8: error: component 't/x': wasm file 'nope.wasm' does not exist [missing-file]"},
      {"duplicate", echo + echo, ":5:11: error: duplicate address 't/echo' [duplicate]"},
      {"unknown_reference", echo + "grants = { send = [\"t/ecko\"] }\n",
       "[unknown-reference] (did you mean 't/echo'?)"},
      {"unknown_child", echo + "[supervisor.s]\nchildren = [\"t/nope\"]\n",
       ":5:13: error: supervisor 's': child 't/nope'"},
      {"cycle", "[supervisor.a]\nchildren = [\"b\"]\n[supervisor.b]\nchildren = [\"a\"]\n",
       "supervision cycle: a -> b -> a [cycle]"},
      {"not_a_module", "[[component]]\naddress = \"t/x\"\nwasm = \"garbage.wasm\"\n",
       ":3:8: error: component 't/x': the module is malformed"},
      {"storage_not_granted", "[[component]]\naddress = \"t/s\"\nwasm = \"" + g + "/storage.wasm\"\n",
       ":1:1: error: component 't/s': the module imports 'storage' but storage is not granted [grants]"},
      {"messaging_not_granted", "[[component]]\naddress = \"t/p\"\nwasm = \"" + g + "/publisher.wasm\"\ngrants = {}\n",
       ":4:10: error: component 't/p': the module imports 'messaging' but has no send"},
  };
  write("garbage.wasm", "nope");
  for (const auto& c : cases) {
    const auto file = write(std::string(c.name) + ".toml", c.toml);
    auto r = airssys({"check", file.string()});
    EXPECT_EQ(r.code, 2) << c.name << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.name;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": expected '" << c.expect << "' in\n" << r.err;
    EXPECT_HAS(r.err, "nothing would start");
  }
}

TEST_F(CliTest, CheckCollectsAllErrors) {
  const auto file =
      write("many.toml", "[sytem]\n[[component]]\naddress = \"t/x\"\nwasm = \"nope.wasm\"\nrestart = \"x\"\n");
  auto r = airssys({"check", file.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "3 errors");
}

TEST_F(CliTest, CheckWarningsStillPass) {
  const std::string g = AIRSSYS_GUEST_DIR;
  // publisher imports publish, but only send is granted: allowed to start, publish calls denied.
  const auto file = write("warn.toml", "[[component]]\naddress = \"t/p\"\nwasm = \"" + g +
                                           "/publisher.wasm\"\ngrants = { send = [\"t/p\"] }\n");
  auto r = airssys({"check", file.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.err, "warning");
  EXPECT_HAS(r.err, "messaging.publish");
  EXPECT_HAS(r.out, "1 warning");
}

TEST_F(CliTest, CheckMissingManifest) {
  auto r = airssys({"check", "absent.toml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "absent.toml: error: cannot read the manifest");
}

// --- new -> build -> invoke ---

class CliNewTest : public CliTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CliNewTest, ScaffoldBuildsAndRuns) {
  const std::string lang = GetParam();
  auto r = airssys({"new", "greeter", "--lang", lang, "--dir", dir_.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path root = dir_ / "greeter";
  EXPECT_TRUE(fs::exists(root / "sdk/include/airssys/guest.h"));
  EXPECT_TRUE(fs::exists(root / (lang == "c" ? "greeter.c" : "greeter.cpp")));
  // Out of tree: the build uses only what the scaffold holds.
  ::setenv("CC", AIRSSYS_GUEST_CC, 1);
  auto b = run_program("/bin/sh", {(root / "build.sh").string()});
  ASSERT_EQ(b.code, 0) << b.out << b.err;
  ASSERT_TRUE(fs::exists(root / "greeter.wasm"));
  auto i = airssys({"invoke", (root / "greeter.wasm").string(), "--message", "world", "--setting", "greeting=hi"});
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_EQ(i.out, "hi, world\n");
  auto d = airssys({"invoke", (root / "greeter.wasm").string(), "--message", "world"});
  EXPECT_EQ(d.out, "hello, world\n");
  auto c = airssys({"check", (root / "system.toml").string()});
  EXPECT_EQ(c.code, 0) << c.err;
  auto again = airssys({"new", "greeter", "--lang", lang, "--dir", dir_.string()});
  EXPECT_EQ(again.code, 2);
  EXPECT_HAS(again.err, "already exists");
}

INSTANTIATE_TEST_SUITE_P(Langs, CliNewTest, ::testing::Values("c", "cpp"));

TEST_F(CliTest, NewRejectsBadNames) {
  auto r = airssys({"new", "../evil", "--dir", dir_.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "NAME");
  auto sdk = airssys({"new", "x", "--dir", dir_.string(), "--sdk", (dir_ / "nosdk").string()});
  EXPECT_EQ(sdk.code, 2);
  EXPECT_HAS(sdk.err, "SDK");
}

}  // namespace
