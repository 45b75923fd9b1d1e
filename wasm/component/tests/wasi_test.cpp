// WASI preview 1 end to end: a plain C component on wasi-libc (wasm/wasi/tests/guests/wasi_app.c)
// under HostSystem, with real files, the audit log and real worker threads.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support.hpp"

namespace airssys::wasm::test {
namespace {

struct LogLine {
  std::string address;
  abi::LogLevel level;
  std::string text;
};

/// A host with a data dir, an audit log and a log sink, for the WASI tests.
struct WasiHost {
  TempDir dir;
  Events events;
  std::mutex mutex;
  std::vector<LogLine> lines;
  std::atomic<std::uint64_t> line_count{0};
  std::unique_ptr<HostSystem> host;
  bool keep_lines = true;

  explicit WasiHost(unsigned workers = 2, bool keep = true) : keep_lines(keep) {
    HostOptions o;
    o.system.workers = workers;
    o.data_dir = (dir.path / "data").string();
    o.audit_path = (dir.path / "audit.log").string();
    o.on_event = events.sink();
    o.on_log = [this](std::string_view address, abi::LogLevel level, std::string_view text) {
      line_count.fetch_add(1);
      if (!keep_lines) return;
      std::lock_guard lock(mutex);
      lines.push_back({std::string(address), level, std::string(text)});
    };
    host = make_host(std::move(o));
  }
  std::filesystem::path files(const std::string& address) const {
    return dir.path / "data" / "files" / wasi::directory_name(address);
  }
  bool logged(std::string_view address, std::string_view text, abi::LogLevel level = abi::LogLevel::info) {
    std::lock_guard lock(mutex);
    for (auto& l : lines)
      if (l.address == address && l.text == text && l.level == level) return true;
    return false;
  }
  /// Audit records (denials) whose action is `action` and whose reason contains `reason`.
  std::size_t audited(std::string_view action, std::string_view reason = {}) {
    auto c = AuditLog::read((dir.path / "audit.log").string());
    if (!c) return 0;
    std::size_t n = 0;
    for (auto& r : c->records)
      if (r.action == action && r.decision == Decision::deny && r.reason.find(reason) != std::string::npos) ++n;
    return n;
  }
};

ComponentSpec app(std::string address, wasi::FsAccess fs = wasi::FsAccess::read_write) {
  ComponentSpec s = spec(std::move(address), "wasi_app");
  s.grants.filesystem = fs;
  s.settings = {{"GREETING", "bonjour"}};
  return s;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Wasi, PlainCComponentPrintsReadsSettingsClocksAndRandomness) {
  WasiHost h;
  ASSERT_TRUE(h.host->spawn(app("test/app")).has_value());
  EXPECT_TRUE(h.logged("test/app", "init: greeting is 'bonjour'"));  // printf in init, _initialize ran once

  EXPECT_EQ(ask(*h.host, "test/app", "hello"), "ok");
  EXPECT_TRUE(eventually([&] { return h.logged("test/app", "bonjour from plain C"); }));
  EXPECT_EQ(ask(*h.host, "test/app", "stderr"), "ok");
  EXPECT_TRUE(eventually([&] { return h.logged("test/app", "to stderr", abi::LogLevel::warn); }));

  // environ holds the settings and nothing of the host's environment.
  ASSERT_NE(::getenv("PATH"), nullptr);
  EXPECT_EQ(ask(*h.host, "test/app", "env:GREETING"), "bonjour");
  EXPECT_EQ(ask(*h.host, "test/app", "env:PATH"), "(unset)");
  EXPECT_EQ(ask(*h.host, "test/app", "env:HOME"), "(unset)");
  EXPECT_EQ(ask(*h.host, "test/app", "args"), "1 test/app");

  const auto t = ask(*h.host, "test/app", "time");
  const long long unix_s = std::stoll(t);
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(std::llabs(unix_s - now), 5) << t;

  const auto r1 = ask(*h.host, "test/app", "entropy"), r2 = ask(*h.host, "test/app", "entropy");
  EXPECT_EQ(r1.size(), 32u);
  EXPECT_NE(r1, r2);
  EXPECT_EQ(ask(*h.host, "test/app", "malloc:4000000"), "ok");

  // A clock wait never blocks the worker: usleep(200 ms) returns at once.
  EXPECT_LT(std::stoll(ask(*h.host, "test/app", "sleep")), 100'000'000);

  // An unsupported function: ENOSYS in the guest, audited once, the component lives on.
  EXPECT_EQ(ask(*h.host, "test/app", "unsupported"), "52");
  EXPECT_EQ(ask(*h.host, "test/app", "unsupported"), "52");
  EXPECT_EQ(h.audited("wasi.fd_renumber", "ENOSYS"), 1u);
  EXPECT_EQ(ask(*h.host, "test/app", "hello"), "ok");

  // A partial line is flushed when the instance goes away.
  EXPECT_EQ(ask(*h.host, "test/app", "partial"), "ok");
  ASSERT_TRUE(h.host->stop("test/app").has_value());
  EXPECT_TRUE(eventually([&] { return h.logged("test/app", "no newline yet"); }));
}

TEST(Wasi, ArgsComeFromTheArgsSetting) {
  WasiHost h;
  auto s = app("test/args");
  s.settings.emplace_back("args", "--verbose  two");
  ASSERT_TRUE(h.host->spawn(s).has_value());
  EXPECT_EQ(ask(*h.host, "test/args", "args"), "3 test/args --verbose two");
}

TEST(Wasi, FilesLiveInTheComponentsDirectoryAndCountAgainstTheQuota) {
  WasiHost h;
  auto s = app("test/files");
  s.grants.storage.quota_bytes = 1000;
  ASSERT_TRUE(h.host->spawn(s).has_value());
  EXPECT_EQ(ask(*h.host, "test/files", "write:notes.txt:hello"), "ok");
  EXPECT_EQ(slurp(h.files("test/files") / "notes.txt"), "hello");
  EXPECT_EQ(ask(*h.host, "test/files", "append:notes.txt: world"), "ok");
  EXPECT_EQ(ask(*h.host, "test/files", "read:notes.txt"), "hello world");
  EXPECT_EQ(ask(*h.host, "test/files", "read:missing.txt"), "err:44");  // ENOENT
  EXPECT_EQ(h.host->store()->external_bytes("test/files"), 11u);

  // Over the quota: ENOSPC inside the guest, audited; nothing beyond the quota is written.
  EXPECT_EQ(ask(*h.host, "test/files", "write:big.txt:" + std::string(2000, 'x')), "err:51");
  EXPECT_GE(h.audited("wasi.fd_write", "quota"), 1u);
  EXPECT_LE(h.host->store()->external_bytes("test/files"), 1000u);
  // Rewriting a file frees its old bytes (O_TRUNC).
  EXPECT_EQ(ask(*h.host, "test/files", "write:notes.txt:hi"), "ok");
  EXPECT_EQ(ask(*h.host, "test/files", "write:big.txt:small"), "ok");
  EXPECT_EQ(h.host->store()->external_bytes("test/files"), 7u);
  // Key-value storage shares the quota: the store sees the files' bytes.
  std::vector<std::uint8_t> value(995, 'v');
  auto kv = h.host->store()->set("test/files", "k", value);
  ASSERT_FALSE(kv.has_value());
  EXPECT_EQ(kv.error().code, Errc::quota_exceeded);

  // The bytes are recounted when the host starts again.
  h.host.reset();
  HostOptions o;
  o.data_dir = (h.dir.path / "data").string();
  h.host = make_host(std::move(o));
  ASSERT_TRUE(h.host->spawn(s).has_value());
  EXPECT_EQ(h.host->store()->external_bytes("test/files"), 7u);
  EXPECT_EQ(ask(*h.host, "test/files", "read:notes.txt"), "hi");
}

TEST(Wasi, WithoutAGrantFileCallsFailInsideTheGuestAndAreAudited) {
  WasiHost h;
  ASSERT_TRUE(h.host->spawn(app("test/nofs", wasi::FsAccess::none)).has_value());
  EXPECT_EQ(ask(*h.host, "test/nofs", "write:x.txt:data"), "err:76");  // ENOTCAPABLE, not a trap
  EXPECT_EQ(ask(*h.host, "test/nofs", "read:x.txt"), "err:76");
  EXPECT_EQ(ask(*h.host, "test/nofs", "raw-open:x.txt"), "76");
  EXPECT_GE(h.audited("wasi.path_open", "no filesystem grant"), 3u);
  EXPECT_FALSE(std::filesystem::exists(h.files("test/nofs")));
  EXPECT_EQ(ask(*h.host, "test/nofs", "hello"), "ok");  // still serving
  EXPECT_EQ(h.host->info("test/nofs")->failures, 0u);
}

TEST(Wasi, ReadOnlyGrantReadsButRefusesWrites) {
  WasiHost h;
  std::filesystem::create_directories(h.files("test/ro"));
  std::ofstream(h.files("test/ro") / "config.txt") << "mode=ro";
  ASSERT_TRUE(h.host->spawn(app("test/ro", wasi::FsAccess::read_only)).has_value());
  EXPECT_EQ(ask(*h.host, "test/ro", "read:config.txt"), "mode=ro");
  EXPECT_EQ(ask(*h.host, "test/ro", "write:config.txt:changed"), "err:76");
  EXPECT_EQ(ask(*h.host, "test/ro", "raw-create:new.txt"), "76");
  EXPECT_EQ(slurp(h.files("test/ro") / "config.txt"), "mode=ro");
  EXPECT_FALSE(std::filesystem::exists(h.files("test/ro") / "new.txt"));
  EXPECT_GE(h.audited("wasi.path_open", "read-only"), 2u);
}

TEST(Wasi, EscapesFail) {
  WasiHost h;
  const auto mine = h.files("test/esc");
  std::filesystem::create_directories(mine / "sub");
  const auto outside = h.dir.path / "data" / "secret.txt";
  std::ofstream(outside) << "secret";
  std::filesystem::create_symlink(outside, mine / "link");
  std::filesystem::create_symlink(h.dir.path / "data", mine / "linkdir");
  std::filesystem::create_symlink("../../secret.txt", mine / "sub" / "rel");
  ASSERT_TRUE(h.host->spawn(app("test/esc")).has_value());

  for (const char* path : {"../secret.txt", "../../data/secret.txt", "/etc/passwd", "link", "linkdir/secret.txt",
                           "sub/rel", "sub/../../secret.txt"}) {
    const auto answer = ask(*h.host, "test/esc", std::string("read:") + path);
    EXPECT_TRUE(answer.starts_with("err:")) << path << " -> " << answer;
  }
  // The host's own resolution, without libc in between.
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-open:../secret.txt"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-open:sub/../../secret.txt"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-open:/etc/passwd"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-open:link"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-open:linkdir/secret.txt"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "raw-create:link"), "76");
  EXPECT_EQ(ask(*h.host, "test/esc", "write:link:pwned"), "err:76");
  EXPECT_EQ(slurp(outside), "secret");
  EXPECT_GE(h.audited("wasi.path_open", "'..'"), 2u);
  EXPECT_GE(h.audited("wasi.path_open", "absolute"), 1u);
  EXPECT_GE(h.audited("wasi.path_open", "symbolic link"), 3u);
  // Legitimate nested paths still work.
  EXPECT_EQ(ask(*h.host, "test/esc", "write:sub/ok.txt:fine"), "ok");
  EXPECT_EQ(ask(*h.host, "test/esc", "read:./sub/ok.txt"), "fine");
  EXPECT_EQ(ask(*h.host, "test/esc", "hello"), "ok");
}

TEST(Wasi, ExitWithACodeIsAFailureTheSupervisorRestarts) {
  WasiHost h;
  ASSERT_TRUE(h.host->spawn(app("test/exit3")).has_value());
  const auto answer = ask(*h.host, "test/exit3", "exit:3");
  EXPECT_TRUE(answer.starts_with("error:target-failed")) << answer;
  EXPECT_NE(answer.find("proc_exit(3)"), std::string::npos) << answer;
  EXPECT_TRUE(eventually([&] { return h.events.count(EventKind::restarted, "test/exit3") == 1; }));
  EXPECT_EQ(ask(*h.host, "test/exit3", "hello"), "ok");  // a fresh instance
  EXPECT_EQ(h.host->info("test/exit3")->restarts, 1u);
}

TEST(Wasi, ExitZeroStopsTheComponentNormally) {
  WasiHost h;
  ASSERT_TRUE(h.host->spawn(app("test/exit0")).has_value());
  const auto answer = ask(*h.host, "test/exit0", "exit:0");
  EXPECT_TRUE(answer.starts_with("error:target-failed")) << answer;
  EXPECT_TRUE(eventually([&] { return h.events.count(EventKind::stopped, "test/exit0") == 1; }));
  EXPECT_EQ(h.events.count(EventKind::restarted, "test/exit0"), 0u);
  EXPECT_FALSE(h.host->info("test/exit0").has_value());
  EXPECT_TRUE(ask(*h.host, "test/exit0", "hello").starts_with("error:target-not-found"));
  ASSERT_TRUE(h.host->spawn(app("test/exit0")).has_value());  // the address is free again
}

TEST(Wasi, BadInputsGiveClearErrors) {
  WasiHost h;
  auto cmd = spec("test/cmd", "wasi_command");
  auto r = h.host->spawn(cmd);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::command_module);
  EXPECT_NE(r.error().message().find("-mexec-model=reactor"), std::string::npos) << r.error().message();

  auto failing = app("test/failinit");
  failing.settings.emplace_back("FAIL_INIT", "1");
  r = h.host->spawn(failing);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("FAIL_INIT is set"), std::string::npos) << r.error().message();

  auto nodata = make_host();
  r = nodata->spawn(app("test/nodata"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::invalid_config);
  EXPECT_NE(r.error().message().find("no data_dir"), std::string::npos) << r.error().message();
  // Without the grant the same module runs on a host without data_dir.
  EXPECT_TRUE(nodata->spawn(app("test/nodata", wasi::FsAccess::none)).has_value());
}

TEST(Wasi, StdoutIsRateLimited) {
  WasiHost h;
  auto s = app("test/chatty");
  s.limits.max_log_lines_per_second = 50;
  s.limits.engine.deadline_ms = 30'000;  // 2000 printf calls interpreted, also under sanitizers
  ASSERT_TRUE(h.host->spawn(s).has_value());
  const auto before = h.line_count.load();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ask(*h.host, "test/chatty", "flood:2000", 10s), "ok");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto passed = h.line_count.load() - before;
  EXPECT_LE(passed, 50 + 50 * secs + 2) << secs;
  EXPECT_GE(passed, 40u);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ask(*h.host, "test/chatty", "hello"), "ok");
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(h.mutex);
    for (auto& l : h.lines)
      if (l.text.find("lines dropped: rate limit of 50 lines/s") != std::string::npos) return true;
    return false;
  }));
}

/// Closed-loop requests to `to` for `d`; how many were answered.
std::uint64_t throughput(HostSystem& host, std::string_view to, std::chrono::milliseconds d) {
  std::uint64_t n = 0;
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end)
    if (ask(host, to, "ping") == "ping") ++n;
  return n;
}

/// Neighbour throughput while `busy` is kept handling `message` by a feeder thread.
std::uint64_t neighbour_throughput(HostSystem& host, const std::string& busy, const std::string& message) {
  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    while (!stop.load()) (void)host.request(busy, bytes(message), 30s).get();
  });
  std::this_thread::sleep_for(10ms);
  const auto n = throughput(host, "test/neighbour", 120ms);
  stop.store(true);
  feeder.join();
  return n;
}

#if defined(__SANITIZE_THREAD__)
#define AIRSSYS_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AIRSSYS_UNDER_TSAN 1
#endif
#endif
#ifndef AIRSSYS_UNDER_TSAN
#define AIRSSYS_UNDER_TSAN 0
#endif

TEST(Wasi, AGuestPrintingInATightLoopDoesNotSlowItsNeighbours) {
  WasiHost h(2, /*keep=*/false);
  ASSERT_TRUE(h.host->spawn(spec("test/neighbour", "echo")).has_value());
  ASSERT_TRUE(h.host->spawn(app("test/quiet")).has_value());
  ASSERT_TRUE(h.host->spawn(app("test/chatty")).has_value());
  // Same guest, same formatting work per message; only the chatty one writes its lines. Short
  // turns (30 lines a message, back to back) and eight alternating rounds: where rt's scheduler
  // places the neighbour next to the busy guest varies from round to round and must even out.
  std::uint64_t with_quiet = 0, with_chatty = 0;
  const auto lines_before = h.line_count.load();
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 8; ++round) {
    with_quiet += neighbour_throughput(*h.host, "test/quiet", "spin:30");
    with_chatty += neighbour_throughput(*h.host, "test/chatty", "flood:30");
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto lines = h.line_count.load() - lines_before;
  std::cout << "neighbour requests in 8 x 120 ms: " << with_quiet << " beside a quiet spinner, " << with_chatty
            << " beside a guest printing in a loop (" << lines << " of its lines reached the log)\n";
  ASSERT_GT(with_quiet, 20u);
#if AIRSSYS_UNDER_TSAN
  // TSan slows the host's line handling several times more than the interpreted guest loop it
  // is compared with (a fresh-clone CI run measured 3x here), so the ratio says nothing about
  // scheduling; what must hold is that the neighbour keeps being served.
  EXPECT_GT(with_chatty, 20u);
#else
  EXPECT_GE(with_chatty * 2, with_quiet);  // generous: at most a 2x difference
#endif
  EXPECT_LE(lines, 200 + 200 * secs + 3);  // the default limit held (one instance throughout)
  EXPECT_GT(h.host->info("test/chatty")->handled, 10u);
}

}  // namespace
}  // namespace airssys::wasm::test
