// System manifests: a TOML file describing components, their grants and limits, and the
// supervision tree (schema: docs/manifest.md). Start here to read one:
//
//   auto r = manifest::load("system.toml");
//   for (const auto& d : r.diagnostics) std::cerr << d.to_string() << '\n';  // file:line:col
//   if (!r.ok()) return 2;
//   for (const auto& c : r.manifest->components) spawn(c);  // plain structs, no TOML types
//
// Validation collects every mistake (it does not stop at the first) with the file, line, column
// and, where one exists, a hint ("did you mean 'strategy'?"). A manifest is returned only when
// there is no error; warnings do not block it.
// This library knows nothing about the host: the integrator maps these structs onto HostSystem.
// Thread-safety: free functions and values; nothing shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airssys::wasm::manifest {

/// 1-based; line 0 means "the file as a whole".
struct Location {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

enum class Severity : std::uint8_t { error, warning };

/// The classes of mistakes, one stable name each (tests and tools match on it).
enum class Problem : std::uint8_t {
  syntax,             ///< not TOML (the parser stops at the first one)
  unknown_key,        ///< a key the schema does not have
  wrong_type,         ///< e.g. a string where an integer belongs
  missing_key,        ///< a required key is absent
  bad_value,          ///< out of range, malformed duration/size/address/codec, bad enum value
  bad_pattern,        ///< a malformed address or topic pattern in a grant
  missing_file,       ///< a wasm file that does not exist or is not a regular file
  duplicate,          ///< two components with one address, a child under two supervisors, ...
  unknown_reference,  ///< a grant or supervisor child naming an address/supervisor that does not exist
  cycle,              ///< supervisors nested in a cycle
  unmatched_pattern,  ///< (warning) a wildcard grant that matches no component of the system
};
std::string_view to_string(Problem p) noexcept;  ///< "unknown-key", ...

struct Diagnostic {
  Severity severity = Severity::error;
  Problem problem = Problem::bad_value;
  Location where;
  std::string message;
  std::string hint;  ///< may be empty
  /// "system.toml:12:3: error: unknown key 'stratgy' in supervisor 'main' (did you mean 'strategy'?)"
  std::string to_string() const;
};

using Millis = std::chrono::milliseconds;

enum class RestartPolicy : std::uint8_t { permanent, transient, temporary };
enum class Strategy : std::uint8_t { one_for_one, one_for_all, rest_for_one };
enum class MailboxPolicy : std::uint8_t { reject, drop_newest, drop_oldest, block };
/// Execution tier of a component: "interp", "aot", "auto" (docs/manifest.md).
enum class Tier : std::uint8_t { interp, aot, automatic };
std::string_view to_string(RestartPolicy p) noexcept;  ///< "permanent"
std::string_view to_string(Strategy s) noexcept;       ///< "one-for-one"
std::string_view to_string(MailboxPolicy p) noexcept;  ///< "drop-newest"

/// Capabilities; deny by default. Pattern syntax as airssys::wasm::Grants (docs/manifest.md).
struct Grants {
  std::vector<std::string> send;       ///< address patterns
  std::vector<std::string> request;    ///< address patterns
  std::vector<std::string> publish;    ///< topic patterns
  std::vector<std::string> subscribe;  ///< topic patterns
  bool storage = false;
  std::uint64_t storage_quota_bytes = std::uint64_t{1} << 20;
  /// WASI files: "none", "read-only" or "read-write" (docs/wasi.md); needs a data_dir.
  std::string filesystem = "none";
  bool any_messaging() const noexcept {
    return !send.empty() || !request.empty() || !publish.empty() || !subscribe.empty();
  }
};

/// Resolved limits: [defaults.limits] overlaid by the component's own [component.limits].
struct Limits {
  std::uint64_t memory_bytes = std::uint64_t{16} << 20;
  std::uint64_t fuel = 0;   ///< instructions per call; 0 = unlimited
  Millis deadline{1000};    ///< per call; 0 = none
  std::size_t mailbox = 0;  ///< capacity; 0 = unbounded
  MailboxPolicy mailbox_policy = MailboxPolicy::reject;
  std::size_t max_message_bytes = std::size_t{1} << 20;
};

struct HealthCheck {
  Millis interval{1000};
  Millis timeout{500};
  unsigned failures = 3;  ///< consecutive failed or unanswered probes before a restart
};

struct ComponentSpec {
  std::string address;         ///< "namespace/name"
  std::filesystem::path wasm;  ///< resolved: relative paths are relative to the manifest's folder
  std::vector<std::pair<std::string, std::string>> settings;  ///< in file order; values as strings
  std::vector<std::string> codecs;                            ///< accepted codecs; empty = any
  std::optional<std::string> data;                            ///< config.data for init
  Grants grants;
  Limits limits;
  RestartPolicy restart = RestartPolicy::permanent;  ///< as a child of its supervisor
  std::optional<HealthCheck> health;
  Tier tier = Tier::interp;
  Location where;         ///< its [[component]] header
  Location wasm_where;    ///< its `wasm` value
  Location grants_where;  ///< its `grants` table (or `where` without one)
};

struct Backoff {
  Millis initial{0};
  Millis max{5000};
  double multiplier = 2.0;
};

struct ChildRef {
  enum class Kind : std::uint8_t { component, supervisor } kind = Kind::component;
  std::string name;  ///< an address or a supervisor name
  Location where;
};

struct SupervisorSpec {
  std::string name;
  Strategy strategy = Strategy::one_for_one;
  unsigned max_restarts = 5;
  Millis within{10'000};
  Backoff backoff;
  RestartPolicy restart = RestartPolicy::permanent;  ///< as a child of its parent supervisor
  std::vector<ChildRef> children;                    ///< in start order
  Location where;
};

struct SystemManifest {
  std::filesystem::path file;                      ///< the manifest itself
  std::string name;                                ///< [system] name, default: the file's stem
  std::optional<std::filesystem::path> data_dir;   ///< resolved; none = no storage
  std::optional<std::filesystem::path> audit_log;  ///< resolved; none = no audit log
  unsigned workers = 0;                            ///< 0 = one per core
  std::optional<Millis> run_for;                   ///< how long `airssys run` runs by default; none = until a signal
  std::vector<ComponentSpec> components;           ///< in file order
  std::vector<SupervisorSpec> supervisors;         ///< in file order
  /// Children of the implicit top-level (one-for-one) supervisor, in start order: supervisors no
  /// other supervisor lists, then components no supervisor lists, each in file order.
  std::vector<ChildRef> top_level;

  const ComponentSpec* component(std::string_view address) const noexcept;
  const SupervisorSpec* supervisor(std::string_view name) const noexcept;
  /// The supervisor listing `child` (an address or supervisor name); nullptr: top level.
  const SupervisorSpec* parent_of(std::string_view child) const noexcept;
};

struct Options {
  bool check_files = true;  ///< report wasm paths that do not name a regular file
};

struct LoadResult {
  std::optional<SystemManifest> manifest;  ///< set only when there is no error
  std::vector<Diagnostic> diagnostics;     ///< errors and warnings, in file order
  bool ok() const noexcept { return manifest.has_value(); }
  std::size_t errors() const noexcept;
};

/// Reads and validates `file` (an unreadable file is one diagnostic at line 0).
LoadResult load(const std::filesystem::path& file, const Options& options = {});
/// Validates `text` as if read from `file` (locations name it; relative paths resolve from its folder).
LoadResult parse(std::string_view text, const std::filesystem::path& file, const Options& options = {});

// Building blocks, exposed for tools and tests.

/// "namespace/name": two non-empty segments of [A-Za-z0-9_.-], the first character alphanumeric.
bool valid_address(std::string_view address) noexcept;
/// Address pattern (as Grants): '/'-separated segments, "*" one segment, a last "#" any rest,
/// "*" alone every address; no empty segment.
bool valid_address_pattern(std::string_view pattern) noexcept;
bool address_matches(std::string_view pattern, std::string_view address) noexcept;
/// Topic pattern (as rt's MessageBroker): segments separated by '.' or '/', "*" one segment, a
/// last "#" any rest; no empty segment.
bool valid_topic_pattern(std::string_view pattern) noexcept;
/// "250ms", "1s", "1.5s", "2m", "1h" -> milliseconds.
std::optional<Millis> parse_duration(std::string_view text) noexcept;
/// "512", "512B", "64KiB", "16MiB", "1GiB", "10KB", "10MB", "1GB" -> bytes.
std::optional<std::uint64_t> parse_size(std::string_view text) noexcept;
/// The candidate closest to `word` by edit distance if it is close enough to be a likely typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace airssys::wasm::manifest
