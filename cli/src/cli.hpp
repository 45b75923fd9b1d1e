// The `airssys` command: one function per subcommand, shared helpers for output and exit codes.
// Exit codes: 0 success; 1 runtime failure (a guest trapped or answered with an error, a build
// failed); 2 usage errors and invalid input (bad options, unreadable or invalid files, an
// invalid manifest).
#pragma once

#include <airssys/error.hpp>
#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/manifest.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airssys::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// "airssys <command>: error: <text>" on stderr.
void print_error(std::string_view command, std::string_view text);
void print_warning(std::string_view command, std::string_view text);

/// One grant a module needs because of a function it imports.
struct GrantNeed {
  std::string grant;     ///< "send", "request", "publish", "subscribe", "storage", "messaging"
  std::string function;  ///< "messaging.send"
};
/// What the contract functions in `report` need from a manifest's grants. `services` needs none;
/// importing any `messaging` function needs at least one messaging grant (the host refuses to link
/// the interface otherwise), and each function needs its own grant for its calls to succeed.
std::vector<GrantNeed> grants_needed(const wasm::abi::ImportReport& report);

std::string hex(const std::uint8_t* data, std::size_t size);
bool valid_utf8(std::string_view s) noexcept;
std::string human_bytes(std::uint64_t bytes);  ///< "64 KiB", "1.5 MiB"

struct InspectArgs {
  std::filesystem::path file;
  bool json = false;
};
int inspect(const InspectArgs& args);

struct CompileArgs {
  std::filesystem::path file;
  std::filesystem::path cache_dir;  ///< empty: the engine's default
  std::string cc;
  std::vector<std::string> flags;
};
int compile(const CompileArgs& args);

struct CheckArgs {
  std::filesystem::path manifest;
};
int check(const CheckArgs& args);

struct CheckCounts {
  std::size_t errors = 0, warnings = 0;
};
/// The manifest and its modules, checked as `airssys check` does (diagnostics on stderr); the
/// manifest if there is no error.
std::optional<wasm::manifest::SystemManifest> check_system(const std::filesystem::path& manifest, CheckCounts& counts);
std::string plural(std::size_t n, const char* word);  ///< "1 error", "2 errors"

struct RunArgs {
  std::filesystem::path manifest;
  std::optional<std::string> duration;  ///< --for
  std::optional<std::filesystem::path> data_dir;
  std::string log_level = "info";
  std::string log_format = "text";
  bool no_status = false;
};
int run(const RunArgs& args);

/// The foreign imports of a module that the host cannot link: those outside the airssys contract
/// and outside WASI preview 1.
std::vector<std::string> foreign_imports(const wasm::abi::ImportReport& report);

struct InvokeArgs {
  std::filesystem::path file;
  std::string message;  ///< text, or @FILE
  std::optional<std::string> codec;
  std::vector<std::string> settings;  ///< k=v
  std::string address;                ///< default: "invoke/<file stem>"
  std::string from = "invoke/cli";
  bool send = false;  ///< deliver as a one-way message instead of a request
  std::string memory = "16MiB";
  std::uint64_t fuel = 0;
  std::string deadline = "5s";
  std::string wait = "0s";  ///< how long to keep running timers and self-sends afterwards
  std::string quota = "1MiB";
  std::optional<std::filesystem::path> dir;  ///< --dir: the WASI preopened directory
  std::string fs;                            ///< --fs read-only|read-write (default read-write with --dir)
  bool hex_output = false;
};
int invoke(const InvokeArgs& args);

struct NewArgs {
  std::string name;
  std::string lang = "c";
  std::filesystem::path dir = ".";
  std::filesystem::path sdk;  ///< the guest SDK folder (guest/); default: compiled-in or $AIRSSYS_SDK
};
int scaffold(const NewArgs& args);

}  // namespace airssys::cli
