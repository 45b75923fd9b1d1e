// airssys::wasm, layer 2: components as supervised actors. Start here to embed airssys.
//
//   auto host = HostSystem::create({.data_dir = "/var/lib/app"}).value();
//   ComponentSpec echo{.address = "demo/echo", .file = "echo.wasm"};
//   host->spawn(echo).value();
//   auto answer = host->request("demo/echo", {'h', 'i'}, 100ms).get();   // expected<Bytes, RequestError>
//
// Every component runs as one rt actor (ComponentActor) under a supervisor: spawn() gives it a
// one-child supervisor of its own (its restart intensity and backoff are its own and a restart
// storm cannot take a neighbour down); spawn_group() starts a supervision tree of components and
// nested groups whose strategies (one-for-one, one-for-all, rest-for-one), intensities and
// escalation are rt's supervisors, as in OTP. Routing is point to point through the ComponentRegistry; requests
// are tracked by one CorrelationTracker; capabilities come from the spawn's Grants and denials
// are written to the audit log; storage is one LMDB store in data_dir, namespaced by address.
//
// Thread-safety: every public member is safe from any thread (not from inside a component's
// own turn for the blocking ones: spawn, stop, restart, upgrade wait for the actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/rt/system.hpp>
#include <airssys/wasm/abi/types.hpp>
#include <airssys/wasm/audit_log.hpp>
#include <airssys/wasm/component_registry.hpp>
#include <airssys/wasm/correlation.hpp>
#include <airssys/wasm/engine.hpp>
#include <airssys/wasm/grants.hpp>
#include <airssys/wasm/storage.hpp>

namespace airssys::wasm {

inline constexpr std::size_t kDefaultMaxMessageBytes = std::size_t{1} << 20;

/// Limits of one component; all of them can be changed while it runs (HostSystem::set_limits).
struct ComponentLimits {
  /// Memory, fuel per call, deadline per call, call depth (layer 1). Safe defaults: 16 MiB, no
  /// fuel limit, a 1 s deadline per call so a looping guest cannot hold a worker forever.
  Limits engine = [] {
    Limits l;
    l.deadline_ms = 1000;
    return l;
  }();
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;  ///< payloads it sends/publishes/receives
  /// Messages per second it may send, request or publish (a token bucket holding one second's
  /// worth); over it the call fails with denied("rate limit ..."). 0: no limit.
  std::uint32_t max_sends_per_second = 0;
  /// WASI stdout/stderr lines per second (and at once) that reach on_log; more are dropped and
  /// counted in a note line. 0: no limit. Fixed per instance (applies from the next restart).
  std::uint32_t max_log_lines_per_second = 200;
};

/// How a component's supervisor treats its failures.
struct Supervision {
  rt::RestartPolicy restart = rt::RestartPolicy::permanent;
  unsigned max_restarts = 5;                 ///< at most this many restarts ...
  std::chrono::milliseconds within{10'000};  ///< ... in this window, else the component is given up
  rt::Backoff backoff{};
  std::optional<rt::HealthCheck> health;     ///< probes lifecycle.health through the mailbox
  /// Messages queued when the component restarts are handled by the fresh instance (true) or
  /// dropped (false: requests among them are answered target-failed).
  bool keep_queue_on_restart = true;
};

/// Which execution tier runs a component (docs/engine.md, "AOT tier").
enum class ComponentTier : std::uint8_t {
  interp,     ///< the wabt interpreter (default)
  aot,        ///< native code: spawn compiles (or finds in the AOT cache) first; a compile error fails the spawn
  automatic,  ///< start on the interpreter at once; compile in the background; instances created
              ///< after the compile finished (restarts) run native code. A running instance is
              ///< never switched (its memory and globals stay where they are). A failed compile
              ///< leaves the component on the interpreter.
};
std::string_view to_string(ComponentTier t) noexcept;

struct ComponentSpec {
  std::string address;            ///< "namespace/name"; unique on the host
  std::filesystem::path file;     ///< the module, from a file ...
  std::vector<std::uint8_t> bytes;  ///< ... or from bytes (used when `file` is empty) ...
  /// ... or a module already loaded with engine() (used first when set): spawning many
  /// instances of one module then skips reading and hashing it each time.
  std::shared_ptr<const Module> module;
  Grants grants;                  ///< deny by default
  ComponentLimits limits;
  std::vector<std::pair<std::string, std::string>> settings;  ///< passed to lifecycle.init
  std::optional<abi::Bytes> data;                             ///< config.data for init
  /// Codecs this component accepts (exact names). Empty: any. A message without a codec is
  /// always accepted; payloads are never transcoded.
  std::vector<std::string> accepted_codecs;
  rt::MailboxOptions mailbox;  ///< size and overflow policy (HostSystem::set_mailbox changes them)
  Supervision supervision;
  ComponentTier tier = ComponentTier::interp;
};

/// A supervisor of components and nested groups (the manifest's [supervisor.NAME]). Inside a
/// group a component's Supervision::restart, health and keep_queue_on_restart apply; its
/// max_restarts, within and backoff do not: the group's apply to all its children. A group whose
/// restart intensity is exceeded fails and its parent group restarts it (escalation); when the
/// root group gives up, every component below it is given up.
struct GroupSpec {
  struct Child;
  std::string name;  ///< unique among the host's groups (child name inside its parent)
  rt::Strategy strategy = rt::Strategy::one_for_one;
  unsigned max_restarts = 5;                 ///< restart intensity: at most this many restarts ...
  std::chrono::milliseconds within{10'000};  ///< ... in this window, else the group fails
  rt::Backoff backoff{};
  rt::RestartPolicy restart = rt::RestartPolicy::permanent;  ///< as a child of its parent group
  std::vector<Child> children;                               ///< in start order
};

/// One child of a group: a component or a nested group.
struct GroupSpec::Child {
  std::optional<ComponentSpec> component;
  std::optional<GroupSpec> group;
  static Child of(ComponentSpec c) {
    Child x;
    x.component = std::move(c);
    return x;
  }
  static Child of(GroupSpec g) {
    Child x;
    x.group = std::move(g);
    return x;
  }
};

enum class ComponentStatus : std::uint8_t {
  starting,
  running,
  restarting,  ///< failed; its supervisor is restarting it
  failed,      ///< given up by its supervisor (restart intensity exceeded, or temporary policy)
  stopped,     ///< stopped through the API
};
std::string_view to_string(ComponentStatus s) noexcept;

struct ComponentInfo {
  std::string address;
  ComponentStatus status = ComponentStatus::starting;
  std::string module_sha256;
  Tier tier = Tier::interp;    ///< the tier of the module its next instance is made from
  std::uint64_t handled = 0;   ///< messages, responses and timers handled by the guest
  std::uint64_t restarts = 0;
  std::uint64_t failures = 0;
  std::uint64_t mailbox_depth = 0;
  std::uint64_t memory_released = 0;  ///< bytes of zero pages given back while idle (HostOptions::idle_release)
  std::string last_error;
};

enum class EventKind : std::uint8_t { started, failed, restarted, stopped, upgraded };
std::string_view to_string(EventKind k) noexcept;

struct ComponentEvent {
  EventKind kind;
  std::string address;
  std::string detail;  ///< the failure reason, the new module hash, why it stopped
};

struct HostOptions {
  rt::SystemOptions system;
  /// Directory of the LMDB store. Empty: no storage (spawning a module that imports `storage`
  /// is refused, and so is a filesystem grant). WASI files live in data_dir/files/<address>.
  std::string data_dir;
  /// sync_each_write defaults to false here: commits reach the page cache (they survive a host
  /// process crash), call ComponentStore::sync() for machine-crash durability.
  StoreOptions store = [] {
    StoreOptions o;
    o.sync_each_write = false;
    return o;
  }();
  AotOptions aot;          ///< where and how the AOT tier compiles (cache directory, compiler)
  std::string audit_path;  ///< JSON-lines audit log; empty: none
  /// A component that handled nothing for between one and two of these periods gives the OS back
  /// the pages of its linear memory that hold only zeros (Instance::release_zero_pages), so idle
  /// components hold about the memory they wrote. The same sweep frees instances parked for
  /// reuse (Engine::trim_recycled) that waited longer than this. 0: never.
  std::chrono::milliseconds idle_release{1000};
  AuditOptions audit;
  /// Component events, called on the thread where they happen (keep it short; no blocking call
  /// into HostSystem from it).
  std::function<void(const ComponentEvent&)> on_event;
  /// Guest log lines (services.log; WASI stdout lines as info, stderr lines as warn). Default:
  /// dropped.
  std::function<void(std::string_view address, abi::LogLevel level, std::string_view text)> on_log;
};

/// The outcome of a request: the answer's payload, or why there is none.
using RequestOutcome = Outcome;

/// Host-wide counters.
struct HostStats {
  std::size_t components = 0;
  CorrelationTracker::Stats requests;
  std::uint64_t dropped_responses = 0;  ///< the requester's bounded mailbox refused its response
  std::uint64_t stale_deliveries = 0;   ///< responses/timers for an instance that no longer exists
  std::uint64_t audit_records = 0;
};

class HostCore;

class HostSystem {
 public:
  /// Errors: storage_io / io_error opening the store or the audit log.
  static Result<std::unique_ptr<HostSystem>> create(HostOptions options = {});
  ~HostSystem();  ///< shuts down
  HostSystem(const HostSystem&) = delete;
  HostSystem& operator=(const HostSystem&) = delete;

  /// Loads, checks (exports, imports against grants) and starts a component; returns once its
  /// lifecycle.init succeeded. Errors: name_taken (address in use), denied (an imported interface
  /// without grant), invalid_config, io_error / malformed_module / invalid_module /
  /// missing_export..., guest_error (init returned err), or the init call's trap/limit error.
  Result<void> spawn(ComponentSpec spec);
  /// Starts a supervision tree: every module of the tree is loaded and checked first, then the
  /// supervisors start and each component's first instance is init'ed, depth first in start
  /// order (init may already message components of the tree started later: the messages wait
  /// for them). All or nothing: on an error nothing of the tree keeps running, and the error's
  /// context starts with the address of the component at fault. Errors: as spawn, plus name_taken
  /// (a group name in use) and invalid_config (an empty group, or one address twice).
  Result<void> spawn_group(GroupSpec spec);
  /// Stops a group and everything below it, children before parents (draining). A component
  /// of a nested group can be stopped alone with stop(). Errors: not_found.
  Result<void> stop_group(std::string_view name);
  /// False once the group gave up (its intensity was exceeded and no parent restarted it) or
  /// was stopped. Nested groups are running while their root is.
  bool group_running(std::string_view name) const;

  /// Graceful stop (queued messages handled, then shutdown); the address is free afterwards.
  /// Inside a group the component is stopped alone and not restarted. Errors: not_found.
  Result<void> stop(std::string_view address);
  /// Fresh instance from the current module after the message being handled; queued messages
  /// are kept. Counts as a restart for the supervisor. Errors: not_found.
  Result<void> restart(std::string_view address);
  /// Replaces the module of a running component in place: same address, queued messages kept and
  /// handled by the new version, storage kept. The new module is loaded, checked and `init`ed
  /// before the old one is shut down; on any error the old version keeps serving and the error
  /// says why. Errors: as spawn, plus not_found, timeout (the actor did not get to it in time).
  Result<void> upgrade(std::string_view address, std::vector<std::uint8_t> bytes,
                       std::chrono::milliseconds wait = std::chrono::seconds(10));
  Result<void> upgrade_file(std::string_view address, const std::filesystem::path& file,
                            std::chrono::milliseconds wait = std::chrono::seconds(10));
  /// Changes a running component's limits; applied before its next guest call. Errors: not_found.
  Result<void> set_limits(std::string_view address, const ComponentLimits& limits);
  /// Changes a running component's mailbox size and overflow policy for the next message, without
  /// a restart; nothing queued is dropped (rt::ActorSystem::set_mailbox). Errors: not_found.
  Result<void> set_mailbox(std::string_view address, rt::MailboxOptions mailbox);
  /// Changes the storage quota of `address` (its namespace) at once. Errors: not_found.
  Result<void> set_storage_quota(std::string_view address, std::uint64_t bytes);

  std::vector<ComponentInfo> list() const;
  HostStats stats() const;
  std::optional<ComponentInfo> info(std::string_view address) const;

  /// Fire-and-forget to a component (from "host"). Errors: not_found, too_large,
  /// codec_not_accepted, mailbox_full.
  Result<void> send(std::string_view to, abi::Bytes payload, std::optional<std::string> codec = {});
  /// Request-response; the future is always resolved: answer, timeout, target-not-found,
  /// target-failed (err from the guest, or it failed/stopped holding the request), queue-full.
  std::future<RequestOutcome> request(std::string_view to, abi::Bytes payload, std::chrono::milliseconds timeout);
  /// Publishes on a topic (from "host"); returns how many subscribers got it.
  Result<std::size_t> publish(std::string_view topic, abi::Bytes payload);

  Engine& engine() noexcept;
  rt::ActorSystem& actors() noexcept;
  CorrelationTracker& tracker() noexcept;
  const ComponentRegistry& registry() const noexcept;
  ComponentStore* store() noexcept;  ///< null without data_dir
  AuditLog* audit() noexcept;        ///< null without audit_path

  /// Stops every component (draining) and the actor system. Idempotent.
  void shutdown();

 private:
  explicit HostSystem(std::unique_ptr<HostCore> core);
  std::unique_ptr<HostCore> core_;
};

}  // namespace airssys::wasm
