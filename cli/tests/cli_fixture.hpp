// Shared by the tests that drive the real `airssys` binary: run it, capture exit code, stdout, stderr.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;

namespace airssys_cli_test {

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("airssys_cli_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Starts `program args...` with stdout/stderr captured in files (named by `tag`); cwd is dir_.
  pid_t start(const std::string& program, const std::vector<std::string>& args, const std::string& tag = "") {
    const fs::path out = dir_ / (".stdout" + tag), err = dir_ / (".stderr" + tag);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, dir_.c_str());
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << program << ": " << rc;
      return -1;
    }
    return pid;
  }
  Outcome finish(pid_t pid, const std::string& tag = "") {
    Outcome r;
    if (pid <= 0) return r;
    int status = 0;
    waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(dir_ / (".stdout" + tag));
    r.err = slurp(dir_ / (".stderr" + tag));
    return r;
  }
  std::string stderr_so_far(const std::string& tag = "") { return slurp(dir_ / (".stderr" + tag)); }
  Outcome run_program(const std::string& program, const std::vector<std::string>& args) {
    return finish(start(program, args));
  }
  Outcome airssys(const std::vector<std::string>& args) { return run_program(AIRSSYS_BIN, args); }

  static std::string guest(const std::string& name) { return std::string(AIRSSYS_GUEST_DIR) + "/" + name + ".wasm"; }
  fs::path write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

  fs::path dir_;
};

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
#define ASSERT_HAS(haystack, needle) ASSERT_NE((haystack).find(needle), std::string::npos) << (haystack)

}  // namespace airssys_cli_test
