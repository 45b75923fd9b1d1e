// The WASI host functions on their own: called as the engine calls them, with a CallContext over
// a plain byte vector as linear memory (no interpreter, no component layer).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <airssys/wasm/wasi.hpp>

namespace airssys::wasm::wasi {
namespace {

struct Memory final : CallContext {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(65536);
  State* state = nullptr;
  std::span<std::uint8_t> memory() override { return bytes; }
  Result<std::vector<Value>> call(std::string_view, std::span<const Value>) override { return {}; }
  void* user_data() override { return state; }
};

struct Fixture : ::testing::Test {
  std::vector<std::pair<Stream, std::string>> lines;
  std::vector<std::string> denials;
  std::uint64_t reserved = 0;
  std::uint64_t quota = 1u << 20;
  std::unique_ptr<State> state;
  Memory mem;
  HostFunctions fns;
  std::filesystem::path dir;

  void make(Options o) {
    Hooks h;
    h.line = [this](Stream s, std::string_view l) { lines.emplace_back(s, std::string(l)); };
    h.denied = [this](std::string_view call, std::string_view target, std::string_view why) {
      denials.push_back(std::string(call) + " " + std::string(target) + ": " + std::string(why));
    };
    h.reserve = [this](std::uint64_t n) {
      if (reserved + n > quota) return false;
      reserved += n;
      return true;
    };
    h.release = [this](std::uint64_t n) { reserved -= n; };
    state = State::create(std::move(o), std::move(h)).value();
    mem.state = state.get();
    fns = {};
    define(fns, [](CallContext& c) { return static_cast<State*>(c.user_data()); });
  }
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("airssys-wasi-" + std::to_string(::getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "box");
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  /// Calls `name` with i32/i64 arguments as given; the errno it returns.
  std::uint32_t call(std::string_view name, std::vector<Value> args) {
    const auto* e = fns.find(kModule, name);
    EXPECT_NE(e, nullptr) << name;
    Value r;
    auto ok = e->fn(mem, args, std::span<Value>(&r, 1));
    EXPECT_TRUE(ok.has_value()) << name;
    return r.u32;
  }
  std::uint32_t put(std::uint32_t at, std::string_view s) {
    std::memcpy(mem.bytes.data() + at, s.data(), s.size());
    return static_cast<std::uint32_t>(s.size());
  }
  std::uint32_t write(std::uint32_t fd, std::string_view text) {
    const std::uint32_t iov[2] = {1024, put(1024, text)};
    std::memcpy(mem.bytes.data(), iov, sizeof iov);
    return call("fd_write", {Value::i32(fd), Value::i32(0), Value::i32(1), Value::i32(16)});
  }
  /// path_open on fd 3; the errno, and the new fd at offset 32.
  std::uint32_t open(std::string_view path, std::uint32_t oflags, std::uint64_t rights) {
    const auto n = put(2048, path);
    return call("path_open", {Value::i32(3), Value::i32(0), Value::i32(2048), Value::i32(n), Value::i32(oflags),
                              Value::i64(rights), Value::i64(0), Value::i32(0), Value::i32(32)});
  }
  std::uint32_t u32_at(std::uint32_t at) {
    std::uint32_t v;
    std::memcpy(&v, mem.bytes.data() + at, 4);
    return v;
  }
};

constexpr std::uint64_t kRead = 1u << 1, kWrite = 1u << 6;

TEST_F(Fixture, LinesAreSplitBufferedCutAndFlushed) {
  make({.name = "t/a", .max_lines_per_second = 0, .max_line_bytes = 8});
  EXPECT_EQ(write(1, "ab\ncd"), kSuccess);
  EXPECT_EQ(u32_at(16), 5u);  // every byte accepted
  EXPECT_EQ(write(2, "err\n"), kSuccess);
  EXPECT_EQ(write(1, "ef\n0123456789\n"), kSuccess);
  state->flush();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], std::make_pair(Stream::out, std::string("ab")));
  EXPECT_EQ(lines[1], std::make_pair(Stream::err, std::string("err")));
  EXPECT_EQ(lines[2].second, "cdef");
  EXPECT_EQ(lines[3].second, "01234567");  // cut at max_line_bytes
  EXPECT_EQ(lines[4].second, "89");
}

TEST_F(Fixture, RateLimitDropsAndCounts) {
  make({.name = "t/a", .max_lines_per_second = 1, .line_burst = 3});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(write(1, "x\n"), kSuccess);
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_EQ(state->stats().dropped_lines, 7u);
}

TEST_F(Fixture, BadPointersAreEfaultNeverAHostError) {
  make({.name = "t/a", .args = {"t/a"}});
  const std::uint32_t iov[2] = {65530, 100};  // runs past the end of memory
  std::memcpy(mem.bytes.data(), iov, sizeof iov);
  EXPECT_EQ(call("fd_write", {Value::i32(1), Value::i32(0), Value::i32(1), Value::i32(16)}), kFault);
  EXPECT_EQ(call("fd_write", {Value::i32(1), Value::i32(0xFFFFFFF0), Value::i32(2), Value::i32(16)}), kFault);
  EXPECT_EQ(call("fd_write", {Value::i32(1), Value::i32(0), Value::i32(100000), Value::i32(16)}), kInval);
  EXPECT_EQ(call("clock_time_get", {Value::i32(1), Value::i64(0), Value::i32(65535)}), kFault);
  EXPECT_EQ(call("random_get", {Value::i32(65000), Value::i32(1000)}), kFault);
  EXPECT_EQ(call("args_get", {Value::i32(65534), Value::i32(0)}), kFault);
  EXPECT_EQ(call("clock_time_get", {Value::i32(2), Value::i64(0), Value::i32(0)}), kInval);
  EXPECT_EQ(call("fd_seek", {Value::i32(1), Value::i64(0), Value::i32(0), Value::i32(0)}), kSpipe);
  EXPECT_EQ(call("fd_close", {Value::i32(99)}), kBadf);
}

TEST_F(Fixture, SettingsBecomeArgsAndEnviron) {
  auto o = options_from_settings("ns/x", {{"args", "-v  two"}, {"K", "v"}, {"bad=key", "x"}});
  EXPECT_EQ(o.args, (std::vector<std::string>{"ns/x", "-v", "two"}));
  EXPECT_EQ(o.env, (std::vector<std::string>{"args=-v  two", "K=v"}));
  make(o);
  EXPECT_EQ(call("environ_sizes_get", {Value::i32(0), Value::i32(4)}), kSuccess);
  EXPECT_EQ(u32_at(0), 2u);
  EXPECT_EQ(u32_at(4), 17u);  // "args=-v  two\0K=v\0"
  EXPECT_EQ(call("environ_get", {Value::i32(100), Value::i32(200)}), kSuccess);
  EXPECT_EQ(u32_at(100), 200u);
  EXPECT_STREQ(reinterpret_cast<const char*>(mem.bytes.data() + u32_at(104)), "K=v");
}

TEST_F(Fixture, PathsResolveBeneathTheDirectory) {
  std::ofstream(dir / "outside.txt") << "secret";
  std::filesystem::create_symlink(dir / "outside.txt", dir / "box" / "link");
  make({.name = "t/a", .fs = FsAccess::read_write, .dir = dir / "box"});
  EXPECT_EQ(open("../outside.txt", 0, kRead), kNotcapable);
  EXPECT_EQ(open("/etc/passwd", 0, kRead), kNotcapable);
  EXPECT_EQ(open("link", 0, kRead), kNotcapable);
  EXPECT_EQ(open("a/../../x", 0, kRead), kNotcapable);
  EXPECT_EQ(open("missing", 0, kRead), kNoent);
  EXPECT_EQ(open(std::string_view("a\0b", 3), 0, kRead), kInval);
  EXPECT_EQ(denials.size(), 4u);
  EXPECT_NE(denials[0].find("wasi.path_open ../outside.txt: '..' in path"), std::string::npos) << denials[0];

  EXPECT_EQ(open("new.txt", 1 /*creat*/, kWrite), kSuccess);
  const std::uint32_t fd = u32_at(32);
  EXPECT_GE(fd, 4u);
  EXPECT_EQ(write(fd, "12345"), kSuccess);
  EXPECT_EQ(reserved, 5u);
  quota = 7;
  EXPECT_EQ(write(fd, "678"), kNospc);
  EXPECT_EQ(call("fd_close", {Value::i32(fd)}), kSuccess);
  EXPECT_EQ(open("new.txt", 8 /*trunc*/, kWrite), kSuccess);
  EXPECT_EQ(reserved, 0u);  // truncation released the bytes
  EXPECT_EQ(state->stats().bytes_written, 5u);
}

TEST_F(Fixture, WithoutAGrantThePreopenRefusesEverything) {
  make({.name = "t/a"});
  EXPECT_EQ(call("fd_prestat_get", {Value::i32(3), Value::i32(0)}), kSuccess);  // libc still routes to us
  EXPECT_EQ(call("fd_prestat_get", {Value::i32(4), Value::i32(0)}), kBadf);
  EXPECT_EQ(open("x", 0, kRead), kNotcapable);
  ASSERT_EQ(denials.size(), 1u);
  EXPECT_NE(denials[0].find("no filesystem grant"), std::string::npos);
}

TEST_F(Fixture, UnsupportedIsEnosysReportedOnceAndExitIsAnError) {
  make({.name = "t/a"});
  EXPECT_EQ(call("sock_accept", {Value::i32(3), Value::i32(0), Value::i32(0)}), kNosys);
  EXPECT_EQ(call("sock_accept", {Value::i32(3), Value::i32(0), Value::i32(0)}), kNosys);
  EXPECT_EQ(denials.size(), 1u);
  EXPECT_EQ(write(1, "partial"), kSuccess);
  const auto* exit = fns.find(kModule, "proc_exit");
  Value arg = Value::i32(3);
  auto r = exit->fn(mem, std::span<const Value>(&arg, 1), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::guest_exit);
  EXPECT_EQ(state->exit_code(), 3u);
  ASSERT_EQ(lines.size(), 1u);  // flushed before exiting
  EXPECT_EQ(lines[0].second, "partial");
}

TEST_F(Fixture, PollOneoffAnswersClockWaitsAtOnce) {
  make({.name = "t/a"});
  // one clock subscription (tag 0) with userdata 42, 10 s timeout
  std::uint64_t userdata = 42, timeout = 10'000'000'000;
  std::memcpy(mem.bytes.data() + 0, &userdata, 8);
  mem.bytes[8] = 0;
  std::memcpy(mem.bytes.data() + 24, &timeout, 8);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(call("poll_oneoff", {Value::i32(0), Value::i32(256), Value::i32(1), Value::i32(512)}), kSuccess);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(u32_at(512), 1u);
  std::uint64_t got = 0;
  std::memcpy(&got, mem.bytes.data() + 256, 8);
  EXPECT_EQ(got, 42u);
}

TEST(WasiNames, TablesAndNames) {
  EXPECT_TRUE(provides("fd_write"));
  EXPECT_TRUE(provides("proc_exit"));
  EXPECT_TRUE(provides("sock_accept"));
  EXPECT_FALSE(provides("fd_teleport"));
  EXPECT_TRUE(is_filesystem("path_open"));
  EXPECT_FALSE(is_filesystem("fd_write"));
  EXPECT_TRUE(implemented("path_open"));
  EXPECT_FALSE(implemented("fd_renumber"));
  EXPECT_EQ(parse_fs_access("read-only"), FsAccess::read_only);
  EXPECT_EQ(parse_fs_access("rw"), std::nullopt);
  EXPECT_EQ(directory_name("shop/cart"), "shop%2Fcart");
  EXPECT_EQ(directory_name(".."), "%2E.");
  EXPECT_FALSE(State::create({.name = "t/a", .fs = FsAccess::read_only}).has_value());  // no dir
}

}  // namespace
}  // namespace airssys::wasm::wasi
