// C++ mirrors of the types in airssys.wit (package airssys:component@0.1.0). They own their data
// (they cross actor boundaries as values). Enumerators keep WIT order: their values are the
// canonical ABI discriminants.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace airssys::wasm::abi {

/// list<u8>
using Bytes = std::vector<std::uint8_t>;

/// record message
struct Message {
  std::string from;
  Bytes payload;
  std::optional<std::string> codec;
  std::optional<std::uint64_t> correlation;  ///< set for requests
  std::optional<std::string> topic;          ///< set for pub/sub deliveries
  friend bool operator==(const Message&, const Message&) = default;
};

/// variant request-error
struct RequestError {
  enum class Kind : std::uint8_t { timeout, cancelled, denied, target_not_found, target_failed, queue_full };
  Kind kind = Kind::timeout;
  std::string text;  ///< for denied (reason), target_not_found (address), target_failed (reason)
  /// Whether this case carries a string in WIT.
  static constexpr bool has_text(Kind k) noexcept {
    return k == Kind::denied || k == Kind::target_not_found || k == Kind::target_failed;
  }
  friend bool operator==(const RequestError&, const RequestError&) = default;
};

/// record response
struct Response {
  std::uint64_t correlation = 0;
  std::string from;
  tl::expected<Bytes, RequestError> outcome;
  friend bool operator==(const Response& a, const Response& b) {
    return a.correlation == b.correlation && a.from == b.from && a.outcome == b.outcome;
  }
};

/// record config
struct Config {
  std::string address;
  std::vector<std::pair<std::string, std::string>> settings;
  std::optional<Bytes> data;
  friend bool operator==(const Config&, const Config&) = default;
};

enum class LogLevel : std::uint8_t { trace, debug, info, warn, error };
enum class Health : std::uint8_t { healthy, degraded, unhealthy };

/// messaging's variant send-error
struct SendError {
  enum class Kind : std::uint8_t { denied, target_not_found, queue_full, too_large };
  Kind kind = Kind::denied;
  std::string text;         ///< denied: reason; target_not_found: address
  std::uint64_t limit = 0;  ///< too_large: the maximum size in bytes
  static constexpr bool has_text(Kind k) noexcept { return k == Kind::denied || k == Kind::target_not_found; }
  friend bool operator==(const SendError&, const SendError&) = default;
};

/// storage's variant storage-error
struct StorageError {
  enum class Kind : std::uint8_t { denied, quota_exceeded, invalid_key, io };
  Kind kind = Kind::io;
  std::string text;  ///< all cases but quota_exceeded
  static constexpr bool has_text(Kind k) noexcept { return k != Kind::quota_exceeded; }
  friend bool operator==(const StorageError&, const StorageError&) = default;
};

/// storage's record usage
struct Usage {
  std::uint64_t bytes = 0;
  std::uint64_t keys = 0;
  std::uint64_t quota_bytes = 0;
  friend bool operator==(const Usage&, const Usage&) = default;
};

std::string_view to_string(LogLevel level) noexcept;
std::string_view to_string(Health health) noexcept;
std::string_view to_string(RequestError::Kind kind) noexcept;
std::string_view to_string(SendError::Kind kind) noexcept;
std::string_view to_string(StorageError::Kind kind) noexcept;

}  // namespace airssys::wasm::abi
