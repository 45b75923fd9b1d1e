// Capabilities of one component: what it may send to, request, publish, subscribe and store.
// Deny by default: an empty Grants allows nothing but the `services` interface.
//
// Address patterns (send, request): '/'-separated segments; a segment "*" matches exactly one
// segment, a last segment "#" matches any rest (zero or more segments), and the pattern "*" on
// its own matches every address. Everything else is literal ('.' included): "orders/*" matches
// "orders/checkout" but not "orders" or "billing/invoice"; "billing/invoice" matches only itself.
//
// Topic patterns (publish, subscribe): the syntax of rt's MessageBroker: segments separated by
// '.' or '/', "*" one segment, a trailing "#" any rest (zero or more segments).
// - publish(topic): the topic must be concrete (no wildcard, no empty segment) and match a
//   granted publish pattern.
// - subscribe(pattern): allowed only if ONE granted subscribe pattern covers it, i.e. matches
//   every topic the requested pattern can match ("orders.#" covers "orders.*.created"; "orders.*"
//   does not cover "orders.#"). A pattern covered only by a union of several grants is denied:
//   conservative, never more than granted.
//
// Interfaces at spawn (missing_interfaces): `services` is always allowed (log, clocks, timers to
// self, random bytes touch nothing outside the component); `messaging` needs at least one grant
// among send/request/publish/subscribe; `storage` needs storage.enabled; any other name is missing.
//
// Thread-safety: a value type; const members are safe from any thread, mutation is not.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/wasm/wasi.hpp>

namespace airssys::wasm {

/// The result of a capability check: allowed or not, and why (for the guest's `denied(...)` and
/// for the audit log). On allow, `reason` names the grant that allowed it.
struct Check {
  bool allowed = false;
  std::string reason;
  explicit operator bool() const noexcept { return allowed; }
};

/// Default storage quota when storage is granted without an explicit quota: 1 MiB.
inline constexpr std::uint64_t kDefaultStorageQuotaBytes = std::uint64_t{1} << 20;

struct StorageGrant {
  bool enabled = false;
  std::uint64_t quota_bytes = kDefaultStorageQuotaBytes;  ///< keys + values, see ComponentStore
};

struct Grants {
  std::vector<std::string> send;       ///< address patterns for messaging.send
  std::vector<std::string> request;    ///< address patterns for messaging.request (send is separate)
  std::vector<std::string> publish;    ///< topic patterns for messaging.publish
  std::vector<std::string> subscribe;  ///< topic patterns covering what messaging.subscribe may ask
  StorageGrant storage;
  /// WASI files (docs/wasi.md): one directory per component under the host's data_dir,
  /// preopened read-only or read-write. Bytes written count against storage.quota_bytes (whether
  /// or not key-value storage is granted). A module importing WASI file functions without this
  /// grant still links; its file calls fail with ENOTCAPABLE and are audited.
  wasi::FsAccess filesystem = wasi::FsAccess::none;

  Check allows_send(std::string_view target) const;
  Check allows_request(std::string_view target) const;
  Check allows_publish(std::string_view topic) const;
  Check allows_subscribe(std::string_view pattern) const;
  Check allows_storage() const;

  /// The interfaces among `imported` (short names "messaging", module names
  /// "airssys:component/messaging@0.1.0", or function names "messaging.send") that have no grant,
  /// as short names, each once, in first-seen order. Empty: the module may be spawned.
  std::vector<std::string> missing_interfaces(std::span<const std::string> imported) const;
  /// Errors: denied, naming each missing interface and the grant it needs (for spawn).
  Result<void> check_imports(std::span<const std::string> imported) const;

  /// Errors: invalid_config naming the first malformed pattern (a malformed pattern never matches,
  /// so a bad grant only denies; this tells the operator why).
  Result<void> validate() const;

  /// Everything granted: every address, every topic, storage with `quota_bytes`, read-write
  /// files. For trusted
  /// components and tests.
  static Grants all(std::uint64_t quota_bytes = kDefaultStorageQuotaBytes);
};

/// True if address `pattern` (syntax above) matches `address`.
bool address_matches(std::string_view pattern, std::string_view address) noexcept;
bool valid_address_pattern(std::string_view pattern) noexcept;
/// True if every topic matched by topic pattern `requested` is matched by topic pattern `granted`.
/// False if either pattern is malformed.
bool topic_pattern_covers(std::string_view granted, std::string_view requested) noexcept;

}  // namespace airssys::wasm
