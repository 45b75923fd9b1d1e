// A recording, in-memory abi::Host for tests: it records every call and keeps storage in a map.
// Failures can be injected per interface. Not thread-safe (one test thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <airssys/wasm/abi/host.hpp>

namespace airssys::wasm::abi::testing {

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string text(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

class TestHost : public Host {
 public:
  struct Sent {
    std::string to;
    Bytes payload;
    std::optional<std::string> codec;
  };
  struct Request {
    std::string to;
    Bytes payload;
    std::uint32_t timeout_ms;
  };
  struct Timer {
    std::uint32_t delay_ms;
    Bytes payload;
  };

  std::string self = "test/self";
  std::vector<Sent> sent;
  std::vector<Request> requests;
  std::vector<std::uint64_t> cancelled;
  std::uint64_t next_correlation = 42;
  std::vector<std::pair<std::string, Bytes>> published;
  std::set<std::string> subscriptions;
  std::vector<std::pair<LogLevel, std::string>> logs;
  std::map<std::uint64_t, Timer> timers;
  std::uint64_t next_timer = 1;
  std::uint64_t unix_ms = 1'700'000'000'000;
  std::map<std::string, Bytes> store;
  std::uint64_t quota = 1024;
  std::optional<SendError> send_failure;        ///< returned by send/request/publish/subscribe
  std::optional<StorageError> storage_failure;  ///< returned by every storage call
  int calls = 0;                                ///< every Host method counts

  tl::expected<void, SendError> send(std::string_view to, Payload payload,
                                     std::optional<std::string_view> codec) override {
    ++calls;
    if (send_failure) return tl::unexpected(*send_failure);
    sent.push_back({std::string(to), Bytes(payload.begin(), payload.end()),
                    codec ? std::optional<std::string>(std::string(*codec)) : std::nullopt});
    return {};
  }
  tl::expected<std::uint64_t, SendError> request(std::string_view to, Payload payload,
                                                 std::uint32_t timeout_ms) override {
    ++calls;
    if (send_failure) return tl::unexpected(*send_failure);
    requests.push_back({std::string(to), Bytes(payload.begin(), payload.end()), timeout_ms});
    return next_correlation++;
  }
  bool cancel(std::uint64_t id) override {
    ++calls;
    cancelled.push_back(id);
    return id < next_correlation;
  }
  tl::expected<void, SendError> publish(std::string_view topic, Payload payload) override {
    ++calls;
    if (send_failure) return tl::unexpected(*send_failure);
    published.emplace_back(std::string(topic), Bytes(payload.begin(), payload.end()));
    return {};
  }
  tl::expected<void, SendError> subscribe(std::string_view topic) override {
    ++calls;
    if (send_failure) return tl::unexpected(*send_failure);
    subscriptions.insert(std::string(topic));
    return {};
  }
  void unsubscribe(std::string_view topic) override {
    ++calls;
    subscriptions.erase(std::string(topic));
  }
  std::string self_address() override {
    ++calls;
    return self;
  }

  void log(LogLevel level, std::string_view t) override {
    ++calls;
    logs.emplace_back(level, std::string(t));
  }
  std::uint64_t now_unix_ms() override {
    ++calls;
    return unix_ms;
  }
  // Real time: the slow component busy-waits on it against a real deadline.
  std::uint64_t monotonic_ns() override {
    ++calls;
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }
  std::uint64_t set_timer(std::uint32_t delay_ms, Payload payload) override {
    ++calls;
    timers[next_timer] = {delay_ms, Bytes(payload.begin(), payload.end())};
    return next_timer++;
  }
  bool cancel_timer(std::uint64_t id) override {
    ++calls;
    return timers.erase(id) == 1;
  }
  /// Deterministic: byte i is (i * 7 + 3) mod 256.
  Bytes random_bytes(std::uint32_t len) override {
    ++calls;
    Bytes b(len);
    for (std::uint32_t i = 0; i < len; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return b;
  }

  tl::expected<std::optional<Bytes>, StorageError> storage_get(std::string_view key) override {
    ++calls;
    if (storage_failure) return tl::unexpected(*storage_failure);
    auto it = store.find(std::string(key));
    if (it == store.end()) return std::optional<Bytes>{};
    return std::optional<Bytes>{it->second};
  }
  tl::expected<void, StorageError> storage_set(std::string_view key, Payload value) override {
    ++calls;
    if (storage_failure) return tl::unexpected(*storage_failure);
    if (key.empty()) return tl::unexpected(StorageError{StorageError::Kind::invalid_key, "empty key"});
    Bytes v(value.begin(), value.end());
    if (used_bytes() + key.size() + v.size() > quota) return tl::unexpected(StorageError{StorageError::Kind::quota_exceeded, {}});
    store[std::string(key)] = std::move(v);
    return {};
  }
  tl::expected<bool, StorageError> storage_delete(std::string_view key) override {
    ++calls;
    if (storage_failure) return tl::unexpected(*storage_failure);
    return store.erase(std::string(key)) == 1;
  }
  tl::expected<std::vector<std::string>, StorageError> storage_list_keys(std::string_view prefix,
                                                                         std::uint32_t limit) override {
    ++calls;
    if (storage_failure) return tl::unexpected(*storage_failure);
    std::vector<std::string> keys;
    for (const auto& [k, v] : store)
      if (k.starts_with(prefix) && keys.size() < limit) keys.push_back(k);
    return keys;
  }
  tl::expected<Usage, StorageError> storage_usage() override {
    ++calls;
    if (storage_failure) return tl::unexpected(*storage_failure);
    return Usage{used_bytes(), store.size(), quota};
  }

 private:
  std::uint64_t used_bytes() const {
    std::uint64_t n = 0;
    for (const auto& [k, v] : store) n += k.size() + v.size();
    return n;
  }
};

}  // namespace airssys::wasm::abi::testing
