#include <airssys/wasm/abi/types.hpp>

namespace airssys::wasm::abi {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

std::string_view to_string(Health health) noexcept {
  switch (health) {
    case Health::healthy: return "healthy";
    case Health::degraded: return "degraded";
    case Health::unhealthy: return "unhealthy";
  }
  return "?";
}

std::string_view to_string(RequestError::Kind kind) noexcept {
  switch (kind) {
    case RequestError::Kind::timeout: return "timeout";
    case RequestError::Kind::cancelled: return "cancelled";
    case RequestError::Kind::denied: return "denied";
    case RequestError::Kind::target_not_found: return "target-not-found";
    case RequestError::Kind::target_failed: return "target-failed";
    case RequestError::Kind::queue_full: return "queue-full";
  }
  return "?";
}

std::string_view to_string(SendError::Kind kind) noexcept {
  switch (kind) {
    case SendError::Kind::denied: return "denied";
    case SendError::Kind::target_not_found: return "target-not-found";
    case SendError::Kind::queue_full: return "queue-full";
    case SendError::Kind::too_large: return "too-large";
  }
  return "?";
}

std::string_view to_string(StorageError::Kind kind) noexcept {
  switch (kind) {
    case StorageError::Kind::denied: return "denied";
    case StorageError::Kind::quota_exceeded: return "quota-exceeded";
    case StorageError::Kind::invalid_key: return "invalid-key";
    case StorageError::Kind::io: return "io";
  }
  return "?";
}

}  // namespace airssys::wasm::abi
