// The demo (examples/demo, `scripts/demo`) run by the real `airssys` binary for a few seconds:
// its summary shows messages flowing, requests answered, a restart and the stored aggregate;
// its audit log holds the dashboard's denied publication as a JSON line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("airssys_demo_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs `airssys args...` with stdout/stderr captured in files; stdin is /dev/null.
  Outcome airssys(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const std::string program = AIRSSYS_BIN;
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    Outcome r;
    const int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << program << ": " << rc;
      return r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  fs::path dir_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

struct Row {
  std::string status;
  unsigned long long handled = 0, restarts = 0, failures = 0;
};

// The summary's row of `address`: "  demo/flaky   running   85   6   6   last error...".
Row summary_row(const std::string& out, const std::string& address) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    Row r;
    if (words >> first && first == address && words >> r.status >> r.handled >> r.restarts >> r.failures) return r;
  }
  ADD_FAILURE() << "no summary row for " << address << " in:\n" << out;
  return {};
}

// The first number after `prefix` in `text` (0 if absent).
unsigned long long number_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return 0;
  return std::strtoull(text.c_str() + at + prefix.size(), nullptr, 10);
}

TEST_F(DemoTest, RunsForThreeSecondsAndSummarizes) {
  const fs::path manifest = DEMO_MANIFEST;
  ASSERT_TRUE(fs::exists(manifest)) << manifest;
  const fs::path audit = manifest.parent_path() / "audit.jsonl";  // [system] audit_log
  const auto audit_before = fs::exists(audit) ? fs::file_size(audit) : 0;

  auto check = airssys({"check", manifest.string()});
  ASSERT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_HAS(check.out, "ok: system 'demo', 5 components, 3 supervisors");

  const fs::path data = dir_ / "data";
  auto r = airssys({"run", manifest.string(), "--for", "3s", "--data-dir", data.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "system 'demo' ran 3.");
  EXPECT_HAS(r.out, "stopped by --for 3.0s elapsed");

  // Messages flowed: every component handled some (timer ticks, requests, publications, jobs).
  for (const char* address : {"demo/validator", "demo/aggregator", "demo/dashboard", "demo/producer", "demo/flaky"}) {
    const Row row = summary_row(r.out, address);
    // demo/flaky may be between a trap and its restart (backoff) when the run ends.
    if (std::string(address) == "demo/flaky")
      EXPECT_TRUE(row.status == "running" || row.status == "restarting") << r.out;
    else
      EXPECT_EQ(row.status, "running") << address << "\n" << r.out;
    EXPECT_GT(row.handled, 5u) << address << "\n" << r.out;
  }
  // The flaky worker trapped and its supervisor restarted it; nobody else failed.
  const Row flaky = summary_row(r.out, "demo/flaky");
  EXPECT_GE(flaky.restarts, 1u) << r.out;
  EXPECT_GE(flaky.failures, 1u) << r.out;
  EXPECT_EQ(summary_row(r.out, "demo/producer").failures, 0u) << r.out;
  EXPECT_HAS(r.err, "demo/flaky: crashing on job");
  EXPECT_HAS(r.err, "demo/flaky: restarted");

  // Requests answered (the producer's responses), publications aggregated and stored.
  EXPECT_GT(number_after(r.err, "demo/validator answered "), 5u) << r.err;
  EXPECT_GT(number_after(r.err, "demo/validator: report: answered "), 5u) << r.err;
  EXPECT_GT(number_after(r.err, "stored aggregate: count "), 5u) << r.err;
  EXPECT_TRUE(fs::exists(data)) << r.err;
  EXPECT_HAS(r.err, "demo/dashboard: alert for reading");
  EXPECT_HAS(r.err, "not published: denied");

  // The audit log got the dashboard's denied publication as a JSON line.
  ASSERT_TRUE(fs::exists(audit)) << audit;
  std::ifstream in(audit, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(audit_before));
  std::string line;
  int denials = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.value("component", "") == "demo/dashboard" && j.value("action", "") == "messaging.publish" &&
        j.value("target", "") == "alerts.high" && j.value("decision", "") == "deny")
      ++denials;
  }
  EXPECT_GE(denials, 1) << slurp(audit);

  // The aggregate persists: a second run with the same data directory starts from it.
  auto again = airssys({"run", manifest.string(), "--for", "1s", "--data-dir", data.string()});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_HAS(again.err, "demo/aggregator: loaded the aggregate stored by earlier runs: count ");
}

}  // namespace
