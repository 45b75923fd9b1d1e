#include <airssys/wasm/audit_log.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace airssys::wasm {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/airssys_audit_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "audit.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string slurp() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(AuditLogTest, LineFormat) {
  auto log = AuditLog::open(path_);
  ASSERT_TRUE(log) << log.error().message();
  AuditRecord r{std::chrono::system_clock::time_point(std::chrono::milliseconds(1795602121123)),
                "shop/cart",
                "messaging.send",
                "billing/invoice",
                Decision::deny,
                "send to 'billing/invoice' denied: no send grant"};
  ASSERT_TRUE((*log)->write(r));
  EXPECT_EQ(
      slurp(),
      R"({"time":"2026-11-25T10:22:01.123Z","component":"shop/cart","action":"messaging.send",)"
      R"("target":"billing/invoice","decision":"deny","reason":"send to 'billing/invoice' denied: no send grant"})"
      "\n");
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 1u);
  EXPECT_EQ(back->records[0], r);
  EXPECT_EQ(back->malformed_lines, 0u);
  EXPECT_FALSE(back->torn_tail);
}

TEST_F(AuditLogTest, TimeFormat) {
  using namespace std::chrono;
  EXPECT_EQ(AuditLog::format_time(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(AuditLog::format_time(system_clock::time_point(milliseconds(951782400999))), "2000-02-29T00:00:00.999Z");
  EXPECT_EQ(AuditLog::format_time(system_clock::time_point(milliseconds(-1))), "1969-12-31T23:59:59.999Z");
  // Sub-millisecond parts are truncated, not rounded up into the next second.
  EXPECT_EQ(AuditLog::format_time(system_clock::time_point(microseconds(1999999))), "1970-01-01T00:00:01.999Z");
}

TEST_F(AuditLogTest, DenialsOnlyByDefault) {
  auto log = AuditLog::open(path_);
  ASSERT_TRUE(log);
  auto& l = **log;
  EXPECT_TRUE(l.wants(Decision::deny));
  EXPECT_FALSE(l.wants(Decision::allow));
  ASSERT_TRUE(l.record("a/b", "storage.set", "k", Decision::allow, "storage granted"));
  ASSERT_TRUE(l.record("a/b", "storage.set", "k", Decision::deny, "storage denied: not granted"));
  l.set_log_allowed(true);
  ASSERT_TRUE(l.record("a/b", "spawn", "a/b", Decision::allow, "ok"));
  EXPECT_EQ(l.records_written(), 2u);
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(back->records[0].decision, Decision::deny);
  EXPECT_EQ(back->records[0].action, "storage.set");
  EXPECT_EQ(back->records[1].decision, Decision::allow);
  EXPECT_EQ(back->records[1].action, "spawn");
  // The stamp is now, to the millisecond.
  const auto age = std::chrono::system_clock::now() - back->records[1].time;
  EXPECT_GE(age, std::chrono::milliseconds(0));
  EXPECT_LT(age, std::chrono::seconds(60));
}

TEST_F(AuditLogTest, LogAllowedOption) {
  auto log = AuditLog::open(path_, AuditOptions{.log_allowed = true, .sync_each_record = true});
  ASSERT_TRUE(log);
  ASSERT_TRUE((*log)->record("a/b", "messaging.publish", "t.x", Decision::allow, "publish granted by 't.#'"));
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 1u);
  EXPECT_EQ(back->records[0].reason, "publish granted by 't.#'");
}

TEST_F(AuditLogTest, AppendsAcrossReopen) {
  for (int i = 0; i < 3; ++i) {
    auto log = AuditLog::open(path_);
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->record("a/b", "spawn", std::to_string(i), Decision::deny, "r"));
  }
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 3u);
  EXPECT_EQ(back->records[2].target, "2");
}

TEST_F(AuditLogTest, OpenErrors) {
  auto log = AuditLog::open((dir_ / "missing" / "audit.jsonl").string());
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, Errc::io_error);
  EXPECT_NE(log.error().context.find("No such file or directory"), std::string::npos) << log.error().context;
}

TEST_F(AuditLogTest, HostileStrings) {
  auto log = AuditLog::open(path_);
  ASSERT_TRUE(log);
  // Newlines, quotes, control bytes, invalid UTF-8 and huge values stay inside one valid line.
  const std::string nasty = "a\nb\"c\\d\x01\xff\xfe{\"decision\":\"allow\"}";
  std::string huge(100000, 'x');
  huge += "\xe2\x82\xac";  // a multi-byte character beyond the cut
  std::string euro_cut(AuditLog::kMaxFieldBytes - 4, 'y');
  euro_cut += "\xe2\x82\xac\xe2\x82\xac";  // a cut would fall inside a 3-byte character
  ASSERT_TRUE((*log)->record(nasty, "messaging.send", huge, Decision::deny, euro_cut));
  const std::string text = slurp();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_LT(text.size(), 4 * AuditLog::kMaxFieldBytes);
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 1u);
  const auto& r = back->records[0];
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.component, "a\nb\"c\\d\x01\xef\xbf\xbd\xef\xbf\xbd{\"decision\":\"allow\"}");
  EXPECT_EQ(r.target.size(), AuditLog::kMaxFieldBytes);
  EXPECT_TRUE(r.target.ends_with("xx..."));
  EXPECT_EQ(r.reason, std::string(AuditLog::kMaxFieldBytes - 4, 'y') + "...");
}

TEST_F(AuditLogTest, ReaderFlagsBadLines) {
  std::ofstream(path_) << "{\"time\":\"2026-11-25T10:22:01.123Z\",\"component\":\"a\",\"action\":\"spawn\",\"target\":"
                          "\"a\",\"decision\":\"deny\",\"reason\":\"r\"}\n"
                       << "not json\n"
                       << "{\"time\":\"yesterday\",\"component\":\"a\",\"action\":\"spawn\",\"target\":\"a\","
                          "\"decision\":\"deny\",\"reason\":\"r\"}\n"
                       << "{\"time\":\"2026-11-25T10:22:01.123Z\",\"comp";
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->records.size(), 1u);
  EXPECT_EQ(back->malformed_lines, 2u);
  EXPECT_TRUE(back->torn_tail);
  EXPECT_FALSE(AuditLog::read((dir_ / "nope").string()));
}

TEST_F(AuditLogTest, ConcurrentWritersWriteWholeLines) {
  auto log = AuditLog::open(path_, AuditOptions{.log_allowed = true});
  ASSERT_TRUE(log);
  constexpr int kThreads = 8, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Lines of different lengths so that any interleaving would show.
      const std::string reason(static_cast<std::size_t>(10 + 97 * t), static_cast<char>('a' + t));
      for (int i = 0; i < kEach; ++i)
        ASSERT_TRUE((*log)->record("c/" + std::to_string(t), "messaging.send", std::to_string(i),
                                   i % 2 ? Decision::allow : Decision::deny, reason));
    });
  for (auto& th : threads) th.join();
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->malformed_lines, 0u);
  EXPECT_FALSE(back->torn_tail);
  ASSERT_EQ(back->records.size(), std::size_t{kThreads} * kEach);
  std::vector<int> next(kThreads, 0);  // each thread's records appear in its order
  for (const auto& r : back->records) {
    const int t = std::stoi(r.component.substr(2));
    EXPECT_EQ(r.target, std::to_string(next[t]++));
    EXPECT_EQ(r.reason.size(), static_cast<std::size_t>(10 + 97 * t));
  }
  EXPECT_EQ((*log)->failures(), 0u);
}

// Checks every line of the file: each complete line is a valid record; only the very last may be
// partial. Returns the number of complete records.
std::size_t check_crash_file(const std::string& path) {
  auto back = AuditLog::read(path);
  EXPECT_TRUE(back);
  if (!back) return 0;
  EXPECT_EQ(back->malformed_lines, 0u);
  return back->records.size();
}

// A child process writes records from several threads and is killed mid-stream: every line the
// parent finds is a complete JSON record.
TEST_F(AuditLogTest, SurvivesSigkillMidStream) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto log = AuditLog::open(path_, AuditOptions{.log_allowed = true});
    if (!log) ::_exit(3);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&log, t] {
        const std::string reason(static_cast<std::size_t>(50 + 300 * t), 'r');
        for (long i = 0;; ++i)
          (void)(*log)->record("c/" + std::to_string(t), "storage.set", std::to_string(i), Decision::deny, reason);
      });
    for (auto& th : threads) th.join();  // never: the parent kills us
    ::_exit(0);
  }
  // Wait until the child has written a good amount, then kill it while it writes.
  struct stat st {};
  for (int i = 0; i < 5000; ++i) {
    if (::stat(path_.c_str(), &st) == 0 && st.st_size > (1 << 20)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_GT(check_crash_file(path_), 1000u);
}

// The child aborts itself between records while other threads keep writing.
TEST_F(AuditLogTest, SurvivesAbortMidStream) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto log = AuditLog::open(path_);
    if (!log) ::_exit(3);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&log, t] {
        for (long i = 0;; ++i)
          (void)(*log)->record("c/" + std::to_string(t), "messaging.request", std::to_string(i), Decision::deny,
                               std::string(static_cast<std::size_t>(100 + 500 * t), 'x'));
      });
    for (int i = 0; i < 5000; ++i) (void)(*log)->record("main", "spawn", std::to_string(i), Decision::deny, "r");
    std::abort();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGABRT);
  auto back = AuditLog::read(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->malformed_lines, 0u);
  // The main thread's 5000 records all landed before the abort, in order.
  long main_records = 0;
  for (const auto& r : back->records)
    if (r.component == "main") EXPECT_EQ(r.target, std::to_string(main_records++));
  EXPECT_EQ(main_records, 5000);
}

}  // namespace
}  // namespace airssys::wasm
