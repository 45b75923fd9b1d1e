// Drives `airssys run`: durations, restarts and strategies, signals, the terminal status, failures.
// Labelled concurrent: CI also runs it with the TSan-built binary.
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_fixture.hpp"

using namespace airssys_cli_test;

namespace {

// --- run ---

std::string run_manifest(const std::string& guests, const std::string& strategy) {
  return "[system]\nname = \"flaky\"\ndata_dir = \"data\"\naudit_log = \"audit.jsonl\"\n\n"
         "[[component]]\naddress = \"t/flaky\"\nwasm = \"" +
         guests +
         "/cli_flaky.wasm\"\n"
         "settings = { trap_at = 3, period_ms = 10 }\n"
         "grants = { send = [\"t/flaky\"] }\n\n"
         "[[component]]\naddress = \"t/echo\"\nwasm = \"" +
         guests +
         "/echo.wasm\"\n\n"
         "[[component]]\naddress = \"t/store\"\nwasm = \"" +
         guests +
         "/storage.wasm\"\n"
         "grants = { storage = true }\n\n"
         "[supervisor.main]\nstrategy = \"" +
         strategy +
         "\"\nmax_restarts = 1000\nwithin = \"10s\"\n"
         "children = [\"t/flaky\", \"t/echo\"]\n";
}

TEST_F(CliTest, RunForADurationRestartsAndSummarizes) {
  const auto file = write("sys.toml", run_manifest(AIRSSYS_GUEST_DIR, "one-for-all"));
  auto r = airssys({"run", file.string(), "--for", "1500ms"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "system 'flaky' ran");
  EXPECT_HAS(r.out, "stopped by --for 1.5s elapsed");
  EXPECT_HAS(r.out, "t/flaky");
  EXPECT_HAS(r.out, "t/store");
  EXPECT_HAS(r.err, "failed");
  EXPECT_HAS(r.err, "t/echo: restarted: restarted by supervisor 'main' (one-for-all) after: the guest trapped: t/flaky:");
  EXPECT_TRUE(fs::exists(dir_ / "data"));
  EXPECT_TRUE(fs::exists(dir_ / "audit.jsonl"));
  // JSON: one object per log line, the summary as one object on stdout.
  auto j = airssys({"run", file.string(), "--for", "1s", "--log-format", "json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto summary = nlohmann::json::parse(j.out);
  EXPECT_EQ(summary["system"], "flaky");
  EXPECT_GT(summary["restarts"].get<int>(), 0) << j.out;
  EXPECT_GT(summary["handled"].get<int>(), 0) << j.out;
  EXPECT_EQ(summary["components"].size(), 3u);
  std::istringstream lines(j.err);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto l = nlohmann::json::parse(line);
    EXPECT_TRUE(l.contains("level") && l.contains("ts")) << line;
    ++n;
  }
  EXPECT_GT(n, 3);
}

TEST_F(CliTest, RunShowsALiveStatusOnATerminal) {
  const char* script = "/usr/bin/script";  // util-linux: runs the command on a pseudo-terminal
  if (!fs::exists(script)) GTEST_SKIP() << "no " << script;
  const auto file = write("sys.toml", run_manifest(AIRSSYS_GUEST_DIR, "one-for-one"));
  const std::string cmd = std::string(AIRSSYS_BIN) + " run " + file.string() + " --for 1200ms --log-level error";
  auto r = run_program(script, {"-qec", cmd, "/dev/null"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "3/3 running |");
  EXPECT_HAS(r.out, "\x1b[K");  // the status block is redrawn in place
  EXPECT_HAS(r.out, "msgs");
  EXPECT_HAS(r.out, "stopped by --for");
  // Not on a terminal (the other tests): no status, no escape sequences.
  auto plain = airssys({"run", file.string(), "--for", "600ms"});
  EXPECT_EQ(plain.err.find("\x1b["), std::string::npos);
  EXPECT_EQ(plain.err.find("running |"), std::string::npos);
}

TEST_F(CliTest, RunForFromTheManifest) {
  std::string text = run_manifest(AIRSSYS_GUEST_DIR, "one-for-one");
  text.replace(text.find("[system]\n"), 9, "[system]\nrun_for = \"300ms\"\n");
  const auto file = write("sys.toml", text);
  auto r = airssys({"run", file.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "stopped by run_for 0.3s elapsed");
  auto over = airssys({"run", file.string(), "--for", "100ms"});
  EXPECT_HAS(over.out, "stopped by --for 0.1s elapsed");
}

TEST_F(CliTest, RunStopsGracefullyOnSigterm) {
  const auto file = write("sys.toml", run_manifest(AIRSSYS_GUEST_DIR, "one-for-one"));
  const pid_t pid = start(AIRSSYS_BIN, {"run", file.string()});
  for (int i = 0; i < 200 && stderr_so_far().find("running:") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_HAS(stderr_so_far(), "until Ctrl-C / SIGTERM");
  ::kill(pid, SIGTERM);
  auto r = finish(pid);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "stopped by SIGTERM");
  EXPECT_HAS(r.out, "requests pending at stop");
  EXPECT_HAS(r.err, "stopping (SIGTERM)");
}

TEST_F(CliTest, RunSigtermUnderLoadAnswersEveryPendingRequest) {
  const std::string g = AIRSSYS_GUEST_DIR;
  // Two requesters keep 30 requests each queued at a component that works 2 ms per request.
  std::string sys = "[system]\nname = \"load\"\n\n[[component]]\naddress = \"t/slow\"\nwasm = \"" + g +
                    "/slow.wasm\"\n";
  for (const char* who : {"t/p1", "t/p2"})
    sys += std::string("\n[[component]]\naddress = \"") + who + "\"\nwasm = \"" + g +
           "/cli_pressure.wasm\"\nsettings = { target = \"t/slow\", inflight = 30, work = \"2\" }\n"
           "grants = { request = [\"t/slow\"] }\n";
  const auto file = write("load.toml", sys);
  const pid_t pid = start(AIRSSYS_BIN, {"run", file.string(), "--log-format", "json"});
  for (int i = 0; i < 400 && stderr_so_far().find(" answers, ") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_HAS(stderr_so_far(), " answers, ");  // the load is on
  ::kill(pid, SIGTERM);
  auto r = finish(pid);
  ASSERT_EQ(r.code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["stopped_by"], "SIGTERM");
  EXPECT_GT(summary["pending_at_stop"].get<int>(), 0) << r.out;  // requests were in flight
  const auto& q = summary["requests"];
  EXPECT_GT(q["made"].get<int>(), 60) << r.out;
  EXPECT_EQ(q["unanswered"].get<int>(), 0) << r.out;
  EXPECT_EQ(q["made"].get<int>(), q["answered"].get<int>() + q["timed_out"].get<int>() + q["cancelled"].get<int>())
      << r.out;
  for (const auto& c : summary["components"]) EXPECT_EQ(c["failures"].get<int>(), 0) << r.out;
}

// The signal mask of `pid` (SigBlk in /proc/PID/status), or 0.
unsigned long long blocked_signals(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

TEST_F(CliTest, RunSigtermWhileStartingStopsCleanly) {
  const auto file = write("sys.toml", run_manifest(AIRSSYS_GUEST_DIR, "one-for-one"));
  const pid_t pid = start(AIRSSYS_BIN, {"run", file.string()});
  // As soon as the command blocks SIGTERM (its first step), it must stop gracefully.
  const unsigned long long term = 1ull << (SIGTERM - 1);
  for (int i = 0; i < 20000 && (blocked_signals(pid) & term) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  ::kill(pid, SIGTERM);
  auto r = finish(pid);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_HAS(r.out, "stopped by SIGTERM");
  EXPECT_HAS(r.out, "0 requests pending at stop");
}

TEST_F(CliTest, RunFailsWhenAComponentDoesNotStart) {
  const std::string g = AIRSSYS_GUEST_DIR;
  // counter's init refuses data starting with 'x'.
  const auto file = write("sys.toml", "[[component]]\naddress = \"t/echo\"\nwasm = \"" + g +
                                          "/echo.wasm\"\n[[component]]\naddress = \"t/counter\"\nwasm = \"" + g +
                                          "/counter.wasm\"\ndata = \"xyz\"\n");
  auto r = airssys({"run", file.string(), "--for", "5s"});
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.err, "sys.toml:4:1: error: component 't/counter' did not start");
  EXPECT_HAS(r.err, "counter: refused data");
  EXPECT_HAS(r.out, "stopped by a component did not start");
}

TEST_F(CliTest, RunRefusesAnInvalidSystem) {
  const auto bad = write("bad.toml", "[[component]]\naddress = \"t/x\"\nwasm = \"nope.wasm\"\n");
  auto r = airssys({"run", bad.string(), "--for", "1s"});
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.err, "bad.toml:3:8: error:");
  EXPECT_HAS(r.err, "nothing started");
  const std::string g = AIRSSYS_GUEST_DIR;
  const auto nodata = write("nodata.toml", "[[component]]\naddress = \"t/s\"\nwasm = \"" + g +
                                               "/storage.wasm\"\ngrants = { storage = true }\n");
  auto n = airssys({"run", nodata.string(), "--for", "1s"});
  EXPECT_EQ(n.code, 2);
  EXPECT_HAS(n.err, "--data-dir");
  auto d = airssys({"run", nodata.string(), "--for", "200ms", "--data-dir", (dir_ / "d").string()});
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(airssys({"run", nodata.string(), "--for", "soon"}).code, 2);
  EXPECT_EQ(airssys({"run", nodata.string(), "--log-level", "loud"}).code, 2);
}

}  // namespace
