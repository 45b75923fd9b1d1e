// The one error vocabulary of airssys: a code from one table (tagged by phase) plus context.
// Errors cross actor boundaries, so they are plain copyable values.
// Thread-safety: values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace airssys {

/// The stage of the pipeline an error belongs to.
enum class Phase : std::uint8_t { runtime, load, validate, link, instantiate, execute, abi, config, io };

// X(name, phase, description). Add a code here, never a second table elsewhere.
#define AIRSSYS_ERROR_CODES(X)                                                                \
  /* actor runtime */                                                                         \
  X(actor_stopped, runtime, "the target actor is stopped")                                     \
  X(actor_failed, runtime, "the target actor failed while holding the request")                \
  X(mailbox_full, runtime, "the target mailbox is full")                                       \
  X(timeout, runtime, "the operation timed out")                                               \
  X(no_reply, runtime, "the handler returned without answering the request")                  \
  X(cancelled, runtime, "the operation was cancelled")                                         \
  X(bad_reply_type, runtime, "the reply has a different type than the request expects")       \
  X(name_taken, runtime, "the name is already registered")                                     \
  X(not_found, runtime, "no such name or address")                                             \
  X(system_stopped, runtime, "the actor system is shutting down")                              \
  X(invalid_argument, runtime, "invalid argument")                                             \
  /* WebAssembly: load and validate */                                                         \
  X(io_error, io, "cannot read the file")                                                      \
  X(malformed_module, load, "the module is malformed")                                         \
  X(invalid_module, validate, "the module does not validate")                                  \
  X(compile_failed, load, "the module could not be compiled to native code")                   \
  /* WebAssembly: link and instantiate */                                                      \
  X(unknown_import, link, "the host does not provide this import")                             \
  X(import_signature, link, "the import has the wrong signature")                              \
  X(missing_export, link, "a required export is missing")                                     \
  X(export_signature, link, "an export has the wrong signature")                               \
  X(command_module, link, "command modules are not supported; build a reactor")                \
  X(instantiate_failed, instantiate, "instantiation failed")                                   \
  /* WebAssembly: execute */                                                                   \
  X(trap, execute, "the guest trapped")                                                        \
  X(fuel_exhausted, execute, "the call used up its fuel")                                      \
  X(deadline_exceeded, execute, "the call ran past its deadline")                              \
  X(memory_limit, execute, "the instance hit its memory limit")                                \
  X(stack_exhausted, execute, "the call stack is exhausted")                                   \
  X(poisoned, execute, "the instance hit a limit or trapped earlier and is not called again")  \
  X(host_error, execute, "a host function failed")                                             \
  X(guest_exit, execute, "the guest exited (WASI proc_exit)")                                   \
  /* canonical ABI */                                                                          \
  X(bad_pointer, abi, "the guest passed an out-of-bounds pointer or length")                   \
  X(bad_utf8, abi, "the guest passed a string that is not valid UTF-8")                        \
  X(bad_discriminant, abi, "the guest passed an invalid variant discriminant")                 \
  X(bad_alignment, abi, "the guest passed a misaligned pointer")                               \
  X(guest_error, abi, "the guest returned an error")                                           \
  /* components: capabilities and storage */                                                  \
  X(denied, runtime, "the component has no grant for this")                                   \
  X(quota_exceeded, io, "the storage quota would be exceeded")                                 \
  X(invalid_key, io, "invalid storage key")                                                    \
  X(storage_io, io, "the storage backend failed")                                              \
  X(too_large, runtime, "the message is larger than the size limit")                          \
  X(codec_not_accepted, runtime, "the target does not accept this codec")                     \
  /* configuration */                                                                          \
  X(invalid_config, config, "invalid configuration")

enum class Errc : std::uint16_t {
#define AIRSSYS_X(name, phase, text) name,
  AIRSSYS_ERROR_CODES(AIRSSYS_X)
#undef AIRSSYS_X
};

/// Stable snake_case name of a code, e.g. "mailbox_full".
constexpr std::string_view name_of(Errc code) noexcept {
  switch (code) {
#define AIRSSYS_X(name, phase, text) \
  case Errc::name:                   \
    return #name;
    AIRSSYS_ERROR_CODES(AIRSSYS_X)
#undef AIRSSYS_X
  }
  return "unknown";
}

constexpr Phase phase_of(Errc code) noexcept {
  switch (code) {
#define AIRSSYS_X(name, phase, text) \
  case Errc::name:                   \
    return Phase::phase;
    AIRSSYS_ERROR_CODES(AIRSSYS_X)
#undef AIRSSYS_X
  }
  return Phase::runtime;
}

constexpr std::string_view describe(Errc code) noexcept {
  switch (code) {
#define AIRSSYS_X(name, phase, text) \
  case Errc::name:                   \
    return text;
    AIRSSYS_ERROR_CODES(AIRSSYS_X)
#undef AIRSSYS_X
  }
  return "unknown error";
}

/// A code plus the context that makes it actionable ("file.wasm: offset 0x1c: bad magic").
struct Error {
  Errc code{};
  std::string context;

  Phase phase() const noexcept { return phase_of(code); }
  /// "<description>: <context>" (or just the description).
  std::string message() const {
    std::string m(describe(code));
    if (!context.empty()) {
      m += ": ";
      m += context;
    }
    return m;
  }
  friend bool operator==(const Error& a, const Error& b) = default;
};

template <class T>
using Result = tl::expected<T, Error>;

/// `return fail(Errc::timeout, "ask to 'db'");` in a function returning Result<T>.
inline tl::unexpected<Error> fail(Errc code, std::string context = {}) {
  return tl::unexpected<Error>(Error{code, std::move(context)});
}

}  // namespace airssys
