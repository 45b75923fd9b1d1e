// The host side of the contract's imports: an abstract Host with one virtual method per imported
// function, and the binding that exposes a Host to guests as engine HostFunctions.
//
// The binding lifts every argument from guest memory with checks (a bad pointer, misaligned
// return area, invalid UTF-8 or discriminant aborts the guest's call with that typed error and
// the Host is not called), calls the Host, then lowers the result through the guest's retptr,
// allocating returned strings/lists with the guest's cabi_realloc. The return area is checked
// before the Host runs, so a bad retptr causes no side effect.
//
// Views (std::string_view, std::span) passed to a Host point into guest memory: they are valid
// only during the call. Copy what you keep.
// Thread-safety: a Host is called on the thread driving the calling instance; a Host shared by
// several instances must be thread-safe itself.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/abi/types.hpp>
#include <airssys/wasm/engine.hpp>

namespace airssys::wasm::abi {

/// What a component can ask of its host: interfaces messaging, services and storage.
class Host {
 public:
  using Payload = std::span<const std::uint8_t>;
  virtual ~Host() = default;

  // messaging
  virtual tl::expected<void, SendError> send(std::string_view to, Payload payload,
                                             std::optional<std::string_view> codec) = 0;
  /// Returns the correlation id the answer will carry in handle-response.
  virtual tl::expected<std::uint64_t, SendError> request(std::string_view to, Payload payload,
                                                         std::uint32_t timeout_ms) = 0;
  virtual bool cancel(std::uint64_t id) = 0;
  virtual tl::expected<void, SendError> publish(std::string_view topic, Payload payload) = 0;
  virtual tl::expected<void, SendError> subscribe(std::string_view topic) = 0;
  virtual void unsubscribe(std::string_view topic) = 0;
  virtual std::string self_address() = 0;

  // services
  virtual void log(LogLevel level, std::string_view text) = 0;
  virtual std::uint64_t now_unix_ms() = 0;
  virtual std::uint64_t monotonic_ns() = 0;
  virtual std::uint64_t set_timer(std::uint32_t delay_ms, Payload payload) = 0;
  virtual bool cancel_timer(std::uint64_t id) = 0;
  virtual Bytes random_bytes(std::uint32_t len) = 0;

  // storage
  virtual tl::expected<std::optional<Bytes>, StorageError> storage_get(std::string_view key) = 0;
  virtual tl::expected<void, StorageError> storage_set(std::string_view key, Payload value) = 0;
  virtual tl::expected<bool, StorageError> storage_delete(std::string_view key) = 0;
  virtual tl::expected<std::vector<std::string>, StorageError> storage_list_keys(std::string_view prefix,
                                                                                 std::uint32_t limit) = 0;
  virtual tl::expected<Usage, StorageError> storage_usage() = 0;
};

/// Finds the Host serving the calling instance (nullptr: the call fails with host_error).
using HostResolver = std::function<Host*(CallContext&)>;

/// The resolver ComponentInstance relies on: CallContext::user_data() is the Host*.
Host* host_from_user_data(CallContext& context) noexcept;

/// Defines every function of the chosen interfaces in `out`, with the contract's core types.
/// Interfaces left out are simply not offered: a guest importing them fails to link
/// (unknown_import), which is how a capability is withheld.
void define_imports(HostFunctions& out, HostResolver resolve, Interfaces which = kAllInterfaces);

/// Every import, resolving the Host from user_data (see host_from_user_data). Built once.
const HostFunctions& default_imports();

/// A random_bytes request larger than this is refused (host_error) instead of allocating.
inline constexpr std::uint32_t kMaxRandomBytes = 1u << 20;

}  // namespace airssys::wasm::abi
