// WASI preview 1 (`wasi_snapshot_preview1`) for components built with ordinary toolchains
// (clang + wasi-libc, Rust wasm32-wasi, TinyGo, AssemblyScript with WASI), on the engine's
// HostFunctions machinery. The subset a component needs to run as an isolated actor:
//
//   stdout/stderr     fd_write on 1 and 2 -> Hooks::line, line-buffered, rate-limited
//   fds               fd_fdstat_get, fd_seek, fd_tell, fd_close, fd_read, fd_filestat_get, ...
//   args / environ    from Options only: nothing of the host's environment
//   clocks            realtime and monotonic; random_get; sched_yield
//   poll_oneoff       clock waits are answered at once, never blocking the thread (see docs/wasi.md)
//   proc_exit         stops the guest call with guest_exit; State::exit_code() tells the code
//   files             fd 3 is always a preopened directory "."; with FsAccess::read_only /
//                     read_write it is Options::dir, every path resolved beneath it (no "..",
//                     no absolute path, no symlink followed); bytes written go through
//                     Hooks::reserve (the storage quota). Without a grant every path call fails
//                     with ENOTCAPABLE and is reported to Hooks::denied (the audit log).
//   everything else   ENOSYS (reported once per function and instance), never a trap
//
//   wasi::Options o{.name = "shop/cart", .args = {"shop/cart"}, .env = {"LANG=C"}};
//   auto state = wasi::State::create(o, hooks).value();         // one per instance
//   HostFunctions f;
//   wasi::define(f, [](CallContext& c) { return static_cast<MyHost*>(c.user_data())->wasi(); });
//
// Guest pointers are bounds-checked: a bad one is EFAULT for the guest, never a host error.
// Thread-safety: a State is used by the thread running its instance, one call at a time; the
// hooks are called on that thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/wasm/engine.hpp>

namespace airssys::wasm::wasi {

inline constexpr std::string_view kModule = "wasi_snapshot_preview1";

/// WASI errno values used by this host (preview 1 numbering).
enum Errno : std::uint16_t {
  kSuccess = 0,
  kAcces = 2,
  kBadf = 8,
  kExist = 20,
  kFault = 21,
  kInval = 28,
  kIo = 29,
  kIsdir = 31,
  kLoop = 32,
  kMfile = 33,
  kNametoolong = 37,
  kNoent = 44,
  kNospc = 51,
  kNosys = 52,
  kNotdir = 54,
  kNotempty = 55,
  kNotsup = 58,
  kPerm = 63,
  kSpipe = 70,
  kNotcapable = 76,
};

/// The filesystem grant.
enum class FsAccess : std::uint8_t { none, read_only, read_write };
std::string_view to_string(FsAccess a) noexcept;  ///< "none", "read-only", "read-write"
/// "none", "read-only" or "read-write"; nullopt otherwise.
std::optional<FsAccess> parse_fs_access(std::string_view text) noexcept;

enum class Stream : std::uint8_t { out = 1, err = 2 };

/// What a State reaches outside the instance. Every member may be empty.
struct Hooks {
  /// One complete line of stdout/stderr (no '\n'), or the note "(N lines dropped: rate limit)".
  std::function<void(Stream, std::string_view line)> line;
  /// A refused or unsupported call, for the audit log: ("wasi.path_open", "../x", "'..' in path").
  std::function<void(std::string_view call, std::string_view target, std::string_view reason)> denied;
  /// May `bytes` more bytes of file data be stored? false: the write fails with ENOSPC.
  std::function<bool(std::uint64_t bytes)> reserve;
  /// `bytes` of file data were freed (truncate, a write that grew less than reserved).
  std::function<void(std::uint64_t bytes)> release;
};

struct Options {
  std::string name;                ///< the component, for messages
  std::vector<std::string> args;   ///< argv; argv[0] is usually the component address
  std::vector<std::string> env;    ///< "KEY=VALUE" entries
  FsAccess fs = FsAccess::none;
  std::filesystem::path dir;       ///< the preopened directory (must exist unless fs == none)
  std::uint32_t max_lines_per_second = 200;  ///< stdout+stderr lines; 0: unlimited
  std::uint32_t line_burst = 200;            ///< lines allowed at once before the rate applies
  std::size_t max_line_bytes = 4096;         ///< a longer line is cut into pieces of this size
  std::uint32_t max_open_files = 64;         ///< files and directories open at once (beyond: EMFILE)
  std::uint32_t max_denials_per_second = 20; ///< Hooks::denied calls; more are counted only
};

struct Stats {
  std::uint64_t lines = 0;          ///< lines passed to Hooks::line
  std::uint64_t dropped_lines = 0;  ///< lines dropped by the rate limit
  std::uint64_t denied = 0;         ///< refused or unsupported calls
  std::uint64_t bytes_written = 0;  ///< to files
};

class State {
 public:
  /// Errors: invalid_config (no dir for a filesystem grant), io_error (cannot open the dir).
  static Result<std::unique_ptr<State>> create(Options options, Hooks hooks = {});
  ~State();  ///< flushes partial lines, closes open files
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  /// Emits buffered partial lines of stdout/stderr.
  void flush();
  /// The code given to proc_exit, once the guest called it.
  std::optional<std::uint32_t> exit_code() const noexcept;
  Stats stats() const noexcept;
  const Options& options() const noexcept;

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  explicit State(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Options for a component from its settings: argv = [address] + the space-separated words of
/// the setting "args"; environ = every setting as KEY=VALUE (keys with '=' or NUL, values with
/// NUL are left out). Nothing else: the host's own environment never reaches a guest.
Options options_from_settings(std::string address, const std::vector<std::pair<std::string, std::string>>& settings);

/// Finds the State of the calling instance (nullptr: the call fails with host_error).
using StateResolver = std::function<State*(CallContext&)>;

/// Defines every preview 1 function on `out` under module kModule.
void define(HostFunctions& out, StateResolver resolve);

/// True if `name` is a preview 1 function this host defines (all of them, some as ENOSYS).
bool provides(std::string_view name) noexcept;
/// True if `name` does something (false for the ENOSYS ones, and for names not in preview 1).
bool implemented(std::string_view name) noexcept;
/// True for the functions that work on paths or file descriptors beyond stdio (they need the
/// filesystem grant to do anything).
bool is_filesystem(std::string_view name) noexcept;
/// The preview 1 functions `info` imports, in import order.
std::vector<std::string> imported_functions(const ModuleInfo& info);

/// A file-system-safe directory name for a component address ("shop/cart" -> "shop%2Fcart").
std::string directory_name(std::string_view address);
/// Total size of the regular files under `dir` (symlinks not followed); 0 if it does not exist.
std::uint64_t directory_bytes(const std::filesystem::path& dir);

}  // namespace airssys::wasm::wasi
