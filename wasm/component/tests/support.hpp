// Helpers for the component framework's end-to-end tests (real .wasm guests).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <airssys/wasm/host_system.hpp>

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
#define EXPECT_HAS_PREFIX(text, prefix) EXPECT_EQ((text).rfind(prefix, 0), 0u) << (text)

namespace airssys::wasm::test {

using namespace std::chrono_literals;

inline std::filesystem::path guest(const std::string& name) {
  return std::filesystem::path(AIRSSYS_GUEST_DIR) / (name + ".wasm");
}

inline abi::Bytes bytes(std::string_view s) { return abi::Bytes(s.begin(), s.end()); }
inline std::string text(const abi::Bytes& b) { return std::string(b.begin(), b.end()); }

/// The tier the suite runs its components on: AIRSSYS_TEST_TIER=aot (ctest registers every
/// component test a second time as "aot/<name>" with it), else the interpreter.
inline ComponentTier test_tier() {
  static const ComponentTier t = [] {
    const char* v = std::getenv("AIRSSYS_TEST_TIER");
    return v && std::string_view(v) == "aot" ? ComponentTier::aot : ComponentTier::interp;
  }();
  return t;
}

inline ComponentSpec spec(std::string address, const std::string& module, Grants grants = {}) {
  ComponentSpec s;
  s.tier = test_tier();
  s.address = std::move(address);
  s.file = guest(module);
  s.grants = std::move(grants);
  return s;
}

/// The answer's text, or "error:<kind>:<text>".
inline std::string ask(HostSystem& host, std::string_view to, std::string_view payload,
                       std::chrono::milliseconds timeout = 2000ms) {
  auto r = host.request(to, bytes(payload), timeout).get();
  if (r) return text(*r);
  return "error:" + std::string(abi::to_string(r.error().kind)) + ":" + r.error().text;
}

/// Polls `fn` until it is true or `limit` passes.
inline bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds limit = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (fn()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return fn();
}

/// A fresh temporary directory, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static std::atomic<int> n{0};
    path = std::filesystem::temp_directory_path() /
           ("airssys-comp-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Collects host events.
struct Events {
  std::mutex mutex;
  std::vector<ComponentEvent> all;
  std::function<void(const ComponentEvent&)> sink() {
    return [this](const ComponentEvent& e) {
      std::lock_guard lock(mutex);
      all.push_back(e);
    };
  }
  std::size_t count(EventKind k, std::string_view address = {}) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (auto& e : all)
      if (e.kind == k && (address.empty() || e.address == address)) ++n;
    return n;
  }
};

inline std::unique_ptr<HostSystem> make_host(HostOptions o = {}) {
  if (o.system.workers == 0) o.system.workers = 2;
  if (o.aot.cache_dir.empty()) o.aot.cache_dir = AIRSSYS_TEST_AOT_CACHE;  // shared by the suites
  auto h = HostSystem::create(std::move(o));
  EXPECT_TRUE(h.has_value()) << (h ? "" : h.error().message());
  return std::move(*h);
}

}  // namespace airssys::wasm::test
