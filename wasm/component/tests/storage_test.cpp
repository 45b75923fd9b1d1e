#include <airssys/wasm/storage.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace airssys::wasm {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/airssys_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  ComponentStore& open(StoreOptions options = fast()) {
    store_.reset();
    auto s = ComponentStore::open((dir_ / "data").string(), options);
    EXPECT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
    return *store_;
  }
  static StoreOptions fast() {
    StoreOptions o;
    o.sync_interval = std::chrono::milliseconds(0);  // no background thread unless a test wants one
    return o;
  }

  fs::path dir_;
  std::unique_ptr<ComponentStore> store_;
};

TEST_F(StorageTest, RoundTrip) {
  auto& s = open();
  auto missing = s.get("a/b", "k");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(s.set("a/b", "k", "hello"));
  auto got = s.get("a/b", "k");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ(**got, bytes("hello"));
  ASSERT_TRUE(s.set("a/b", "k", "bye"));  // replace
  EXPECT_EQ(**s.get("a/b", "k"), bytes("bye"));
  // Empty values and binary values are values.
  ASSERT_TRUE(s.set("a/b", "empty", ""));
  got = s.get("a/b", "empty");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_TRUE((*got)->empty());
  const std::vector<std::uint8_t> bin = {0, 1, 255, 0, 10};
  ASSERT_TRUE(s.set("a/b", "bin", bin));
  EXPECT_EQ(**s.get("a/b", "bin"), bin);

  auto erased = s.erase("a/b", "k");
  ASSERT_TRUE(erased);
  EXPECT_TRUE(*erased);
  erased = s.erase("a/b", "k");
  ASSERT_TRUE(erased);
  EXPECT_FALSE(*erased);
  EXPECT_FALSE(s.get("a/b", "k")->has_value());
}

TEST_F(StorageTest, NamespacesAreIsolated) {
  auto& s = open();
  ASSERT_TRUE(s.set("a", "bx", "1"));
  ASSERT_TRUE(s.set("ab", "x", "2"));
  ASSERT_TRUE(s.set("a/b", "k", "3"));
  ASSERT_TRUE(s.set("a", "b/k", "4"));
  EXPECT_EQ(**s.get("a", "bx"), bytes("1"));
  EXPECT_EQ(**s.get("ab", "x"), bytes("2"));
  EXPECT_EQ(**s.get("a/b", "k"), bytes("3"));
  EXPECT_EQ(**s.get("a", "b/k"), bytes("4"));
  EXPECT_FALSE(s.get("ab", "bx")->has_value());
  EXPECT_FALSE(s.get("a", "x")->has_value());
  EXPECT_EQ(*s.list_keys("a", "", 100), (std::vector<std::string>{"b/k", "bx"}));
  EXPECT_EQ(*s.list_keys("ab", "", 100), (std::vector<std::string>{"x"}));
  EXPECT_EQ(*s.list_keys("a/b", "", 100), (std::vector<std::string>{"k"}));
  EXPECT_EQ(s.usage("a")->keys, 2u);
  EXPECT_EQ(s.usage("ab")->keys, 1u);
  EXPECT_EQ(s.usage("zz")->keys, 0u);
  // Deleting in one namespace leaves the other alone.
  EXPECT_FALSE(*s.erase("ab", "bx"));
  EXPECT_TRUE(s.get("a", "bx")->has_value());
}

TEST_F(StorageTest, CraftedKeysCannotEscape) {
  auto& s = open();
  // A namespace of length 1 and a namespace whose name is a plausible length-prefix forgery.
  ASSERT_TRUE(s.set("v", "secret", "victim"));
  const std::string forged = std::string("\x00\x01v", 3);  // what "v"'s prefix looks like
  for (std::string key : {std::string("\x00\x01vsecret", 8), std::string("../v/secret"), std::string("v/secret"),
                          std::string("..\\secret"), std::string("secret\n"), std::string("sec\0ret", 7)}) {
    auto r = s.get("m", key);
    if (r)
      EXPECT_FALSE(r->has_value()) << key;
    else
      EXPECT_EQ(r.error().code, Errc::invalid_key);
  }
  // Namespaces are opaque bytes to the store: a namespace that spells another's prefix is still
  // its own namespace.
  ASSERT_TRUE(s.set(forged, "secret", "attacker"));
  EXPECT_EQ(**s.get("v", "secret"), bytes("victim"));
  EXPECT_EQ(**s.get(forged, "secret"), bytes("attacker"));
  EXPECT_EQ(*s.list_keys("v", "", 10), std::vector<std::string>{"secret"});
  EXPECT_EQ(*s.list_keys(forged, "", 10), std::vector<std::string>{"secret"});
  // A long namespace's keys never show up under a prefix of its name.
  const std::string longer(250, 'n');
  ASSERT_TRUE(s.set(longer, "k", "x"));
  ASSERT_TRUE(s.set(longer.substr(0, 249), "nk", "y"));
  EXPECT_EQ(*s.list_keys(longer.substr(0, 249), "", 10), std::vector<std::string>{"nk"});
  EXPECT_EQ(*s.list_keys(longer, "", 10), std::vector<std::string>{"k"});
}

TEST_F(StorageTest, InvalidKeysRejected) {
  auto& s = open();
  const std::string too_long(ComponentStore::kMaxKeyBytes + 1, 'k');
  for (const std::string& key : {std::string(), too_long, std::string("a b"), std::string("a\nb"), std::string("tab\t"),
                                 std::string("nul\0", 4), std::string("caf\xc3\xa9"), std::string("\x7f")}) {
    auto r = s.set("a/b", key, "v");
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, Errc::invalid_key) << key;
    EXPECT_EQ(s.get("a/b", key).error().code, Errc::invalid_key);
    EXPECT_EQ(s.erase("a/b", key).error().code, Errc::invalid_key);
  }
  EXPECT_EQ(s.set("a/b", "", "v").error().context, "empty key");
  EXPECT_EQ(s.set("a/b", too_long, "v").error().context, "key of 257 bytes (max 256)");
  EXPECT_EQ(s.set("a/b", "a b", "v").error().context,
            "key has byte 0x20 at offset 1 (allowed: visible ASCII '!'..'~')");
  EXPECT_EQ(s.usage("a/b")->keys, 0u);
  // The longest key and every allowed character work.
  ASSERT_TRUE(s.set("a/b", std::string(ComponentStore::kMaxKeyBytes, 'k'), "v"));
  std::string every;
  for (char c = '!'; c <= '~'; ++c) every += c;
  ASSERT_TRUE(s.set("a/b", every, "v"));
  EXPECT_TRUE(s.get("a/b", every)->has_value());
  // Prefixes: the same charset, but empty is fine.
  EXPECT_EQ(s.list_keys("a/b", "a b", 10).error().code, Errc::invalid_key);
  EXPECT_TRUE(s.list_keys("a/b", "", 10));
  // Namespaces: non-empty and bounded (a host error, not a guest one).
  EXPECT_EQ(s.set("", "k", "v").error().code, Errc::invalid_argument);
  EXPECT_EQ(s.set(std::string(251, 'n'), "k", "v").error().code, Errc::invalid_argument);
}

TEST_F(StorageTest, ListKeysPrefixAndLimit) {
  auto opts = fast();
  opts.max_list_keys = 5;
  auto& s = open(opts);
  for (auto k : {"user:1", "user:2", "user:10", "users", "user", "order:1", "a", "z"}) ASSERT_TRUE(s.set("ns", k, "v"));
  ASSERT_TRUE(s.set("ns2", "user:3", "v"));
  EXPECT_EQ(*s.list_keys("ns", "user:", 10), (std::vector<std::string>{"user:1", "user:10", "user:2"}));
  EXPECT_EQ(*s.list_keys("ns", "user:", 2), (std::vector<std::string>{"user:1", "user:10"}));
  EXPECT_EQ(*s.list_keys("ns", "user", 10), (std::vector<std::string>{"user", "user:1", "user:10", "user:2", "users"}));
  EXPECT_EQ(*s.list_keys("ns", "user:10", 10), std::vector<std::string>{"user:10"});
  EXPECT_TRUE(s.list_keys("ns", "nope", 10)->empty());
  EXPECT_TRUE(s.list_keys("ns", "zz", 10)->empty());  // past the namespace's last key
  EXPECT_TRUE(s.list_keys("ns", "", 0)->empty());
  // The store caps the limit.
  EXPECT_EQ(s.list_keys("ns", "", 1000)->size(), 5u);
  EXPECT_EQ(*s.list_keys("ns", "", 3), (std::vector<std::string>{"a", "order:1", "user"}));
  EXPECT_TRUE(s.list_keys("empty", "", 10)->empty());
}

TEST_F(StorageTest, UsageNumbers) {
  auto& s = open();
  EXPECT_EQ(*s.usage("c"), (StorageUsage{0, 0, std::uint64_t{1} << 20}));
  ASSERT_TRUE(s.set("c", "ab", "12345"));  // 2 + 5
  EXPECT_EQ(*s.usage("c"), (StorageUsage{7, 1, std::uint64_t{1} << 20}));
  ASSERT_TRUE(s.set("c", "xyz", ""));  // 3 + 0
  EXPECT_EQ(*s.usage("c"), (StorageUsage{10, 2, std::uint64_t{1} << 20}));
  ASSERT_TRUE(s.set("c", "ab", "1"));  // replace: 2 + 1
  EXPECT_EQ(*s.usage("c"), (StorageUsage{6, 2, std::uint64_t{1} << 20}));
  s.set_quota("c", 100);
  EXPECT_EQ(*s.usage("c"), (StorageUsage{6, 2, 100}));
  EXPECT_EQ(s.quota("c"), 100u);
  EXPECT_EQ(s.quota("other"), std::uint64_t{1} << 20);
  ASSERT_TRUE(*s.erase("c", "ab"));
  EXPECT_EQ(*s.usage("c"), (StorageUsage{3, 1, 100}));
  ASSERT_TRUE(*s.erase("c", "xyz"));
  EXPECT_EQ(*s.usage("c"), (StorageUsage{0, 0, 100}));
}

TEST_F(StorageTest, QuotaExceededChangesNothing) {
  auto& s = open();
  s.set_quota("q", 20);
  ASSERT_TRUE(s.set("q", "a", "123456789"));  // 10
  ASSERT_TRUE(s.set("q", "b", "12345678"));   // 9: total 19
  auto r = s.set("q", "c", "1");              // 2: total 21 > 20
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::quota_exceeded);
  EXPECT_EQ(r.error().context, "namespace 'q': 21 bytes after this write, quota 20");
  EXPECT_FALSE(s.get("q", "c")->has_value());
  r = s.set("q", "a", "1234567890XX");  // replace growing past the quota
  ASSERT_FALSE(r);
  EXPECT_EQ(**s.get("q", "a"), bytes("123456789"));
  EXPECT_EQ(*s.usage("q"), (StorageUsage{19, 2, 20}));
  EXPECT_EQ(*s.list_keys("q", "", 10), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(s.set("q", "c", ""));  // exactly at the quota: 20
  EXPECT_EQ(s.usage("q")->bytes, 20u);
  // Other namespaces have their own quota.
  ASSERT_TRUE(s.set("other", "c", "1"));
  // Lowered below usage: shrinking writes and deletes still work, growing ones do not.
  s.set_quota("q", 5);
  ASSERT_TRUE(s.set("q", "a", "12"));  // 20 -> 13
  EXPECT_EQ(s.set("q", "a", "123").error().code, Errc::quota_exceeded);
  ASSERT_TRUE(*s.erase("q", "b"));
  EXPECT_EQ(*s.usage("q"), (StorageUsage{4, 2, 5}));
  // A value over the per-value limit is refused whatever the quota.
  auto opts = fast();
  opts.max_value_bytes = 8;
  auto& t = open(opts);
  auto big = t.set("other", "k", "123456789");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::quota_exceeded);
  EXPECT_EQ(big.error().context, "value of 9 bytes (max 8 per value)");
}

TEST_F(StorageTest, PersistsAcrossReopen) {
  for (bool sync : {true, false}) {
    SCOPED_TRACE(sync);
    auto opts = fast();
    opts.sync_each_write = sync;
    {
      auto& s = open(opts);
      for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(s.set("p/" + std::to_string(sync), "k" + std::to_string(i), "v" + std::to_string(i)));
      ASSERT_TRUE(*s.erase("p/" + std::to_string(sync), "k7"));
      ASSERT_TRUE(s.sync());
      store_.reset();
    }
    auto& s = open(opts);
    const std::string ns = "p/" + std::to_string(sync);
    EXPECT_EQ(**s.get(ns, "k42"), bytes("v42"));
    EXPECT_FALSE(s.get(ns, "k7")->has_value());
    EXPECT_EQ(s.usage(ns)->keys, 99u);
    EXPECT_EQ(s.list_keys(ns, "", 1000)->size(), 99u);
  }
}

// A host process killed right after its writes loses none of them, even without any fsync: every
// committed transaction is in the page cache, and LMDB's file is consistent at each commit.
TEST_F(StorageTest, SurvivesProcessCrash) {
  const std::string dir = (dir_ / "data").string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = ComponentStore::open(dir, fast());  // no fsync, no flusher
    if (!s) ::_exit(3);
    for (int i = 0; i < 500; ++i)
      if (!(*s)->set("crash/test", "k" + std::to_string(i), std::string(static_cast<std::size_t>(i), 'v'))) ::_exit(4);
    if (!(*s)->erase("crash/test", "k0")) ::_exit(5);
    ::kill(::getpid(), SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  auto& s = open();
  const auto u = *s.usage("crash/test");
  EXPECT_EQ(u.keys, 499u);
  for (int i = 1; i < 500; ++i) {
    auto got = s.get("crash/test", "k" + std::to_string(i));
    ASSERT_TRUE(got && got->has_value()) << i;
    EXPECT_EQ((*got)->size(), static_cast<std::size_t>(i));
  }
  EXPECT_FALSE(s.get("crash/test", "k0")->has_value());
}

TEST_F(StorageTest, BackgroundSyncWithDefaultOptions) {
  StoreOptions o;
  o.sync_interval = std::chrono::milliseconds(5);
  {
    auto& s = open(o);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(s.set("b", "k" + std::to_string(i), "v"));
      if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    const auto t0 = std::chrono::steady_clock::now();
    store_.reset();  // stops the flusher promptly
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  }
  auto& s = open(StoreOptions{});  // defaults: 1 s flusher
  EXPECT_EQ(s.usage("b")->keys, 50u);
}

TEST_F(StorageTest, OneStorePerDirectoryPerProcess) {
  auto& s = open();
  ASSERT_TRUE(s.set("a", "k", "v"));
  auto second = ComponentStore::open((dir_ / "data").string(), fast());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::invalid_argument);
  // Also through another spelling of the same path.
  second = ComponentStore::open((dir_ / "data" / ".." / "data").string(), fast());
  ASSERT_FALSE(second);
  store_.reset();
  second = ComponentStore::open((dir_ / "data").string(), fast());
  ASSERT_TRUE(second);
  EXPECT_EQ(**(*second)->get("a", "k"), bytes("v"));
}

TEST_F(StorageTest, OpenErrorsCarryTheReason) {
  const auto file = dir_ / "file";
  { std::ofstream(file) << "x"; }
  auto s = ComponentStore::open((file / "sub").string());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::storage_io);
  EXPECT_NE(s.error().context.find("Not a directory"), std::string::npos) << s.error().context;
  // A directory holding something that is not an LMDB file.
  fs::create_directories(dir_ / "bad");
  { std::ofstream(dir_ / "bad" / "data.mdb") << std::string(8192, 'x'); }
  s = ComponentStore::open((dir_ / "bad").string());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::storage_io);
  EXPECT_NE(s.error().context.find("MDB_INVALID"), std::string::npos) << s.error().context;
  // The failed open released the directory.
  fs::remove(dir_ / "bad" / "data.mdb");
  EXPECT_TRUE(ComponentStore::open((dir_ / "bad").string(), fast()));
}

TEST_F(StorageTest, MapGrowsOnDemand) {
  auto opts = fast();
  opts.initial_map_bytes = 256 << 10;  // 256 KiB
  opts.max_map_bytes = 64 << 20;
  opts.default_quota_bytes = 1 << 30;
  auto& s = open(opts);
  const std::size_t start = s.map_bytes();
  const std::string value(60000, 'v');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.set("g", "k" + std::to_string(i), value)) << i;  // ~6 MB
  EXPECT_GT(s.map_bytes(), start);
  EXPECT_EQ(s.usage("g")->keys, 100u);
  EXPECT_EQ((*s.get("g", "k99"))->size(), value.size());
}

TEST_F(StorageTest, FullStoreIsAnIoError) {
  auto opts = fast();
  opts.initial_map_bytes = 256 << 10;
  opts.max_map_bytes = 512 << 10;
  opts.default_quota_bytes = 1 << 30;
  auto& s = open(opts);
  const std::string value(60000, 'v');
  Result<void> r;
  int i = 0;
  for (; i < 100 && r; ++i) r = s.set("f", "k" + std::to_string(i), value);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::storage_io);
  EXPECT_NE(r.error().context.find("the store is full"), std::string::npos) << r.error().context;
  // What was written before stays readable, and the failed key is absent.
  EXPECT_EQ(s.usage("f")->keys, static_cast<std::uint64_t>(i - 1));
  EXPECT_FALSE(s.get("f", "k" + std::to_string(i - 1))->has_value());
  EXPECT_TRUE(*s.erase("f", "k0"));
}

TEST_F(StorageTest, ConcurrentWriters) {
  auto opts = fast();
  opts.initial_map_bytes = 256 << 10;  // also exercises growth while others read and write
  auto& s = open(opts);
  constexpr int kThreads = 6, kEach = 300;
  s.set_quota("shared", 1000);
  std::atomic<int> shared_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string ns = "c/" + std::to_string(t);
      const std::string value(static_cast<std::size_t>(100 + t), 'x');
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(s.set(ns, "k" + std::to_string(i), value));
        auto got = s.get(ns, "k" + std::to_string(i / 2));
        ASSERT_TRUE(got && got->has_value());
        if (i % 3 == 0) ASSERT_TRUE(s.list_keys(ns, "k", 10));
        // Everyone also competes for one small quota: exactly the writes that fit succeed.
        if (s.set("shared", "t" + std::to_string(t) + "_" + std::to_string(i), "0123456789-0123456789")) ++shared_ok;
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    const auto u = *s.usage("c/" + std::to_string(t));
    EXPECT_EQ(u.keys, std::uint64_t{kEach});
    std::uint64_t expect = 0;
    for (int i = 0; i < kEach; ++i) expect += ("k" + std::to_string(i)).size() + 100 + t;
    EXPECT_EQ(u.bytes, expect);
  }
  const auto shared = *s.usage("shared");
  EXPECT_LE(shared.bytes, 1000u);
  EXPECT_EQ(shared.keys, static_cast<std::uint64_t>(shared_ok.load()));
  EXPECT_EQ(s.list_keys("shared", "", 1000)->size(), shared.keys);
  EXPECT_GT(shared_ok.load(), 20);
}

}  // namespace
}  // namespace airssys::wasm
