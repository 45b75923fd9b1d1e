// ComponentActor: the rt actor that owns one component instance (abi::ComponentInstance) and
// drives its lifecycle exports. Built by HostSystem; not constructed by users directly.
//
//   first start  HostSystem::spawn instantiates + inits the first instance on its own thread
//                (errors come back to the caller directly) and hands it over with Adopt; what
//                arrives before (responses, timers, publications caused by init) waits for it
//   on_restart   a fresh instance from the record's (cached) module + lifecycle.init; rt keeps
//                the queued messages
//   receive      Inbound (send/request) and Publication -> handle-message; ResponseIn ->
//                handle-response; TimerFired -> handle-message with codec "airssys/timer"
//   healthy      lifecycle.health (degraded counts as healthy)
//   on_stop      lifecycle.shutdown
// A guest failure (trap, fuel, memory, deadline, broken ABI, init error after a restart) fails
// the actor: any request it held is answered target-failed and its supervisor decides.
//
// ComponentRecord is the per-address state that outlives instances and actor restarts: the
// current module, grants, limits (with a version the actor checks each turn), counters, and a
// pending upgrade. Thread-safety: ComponentRecord members are atomics or guarded by `mutex`;
// ComponentActor is driven by its actor's turns only.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <airssys/rt/actor.hpp>
#include <airssys/rt/broker.hpp>
#include <airssys/wasm/abi/component.hpp>
#include <airssys/wasm/abi/host.hpp>
#include <airssys/wasm/host_system.hpp>

namespace airssys::wasm {

class ComponentActor;

/// Armed while a request sits in a mailbox: if its envelope is destroyed unhandled (the target
/// stopped, was killed, or evicted it), the request is resolved target-failed. Move-only.
class RequestGuard {
 public:
  RequestGuard() = default;
  RequestGuard(CorrelationTracker* t, std::uint64_t id, std::shared_ptr<const std::string> target) noexcept
      : tracker_(t), id_(id), target_(std::move(target)) {}
  RequestGuard(RequestGuard&& o) noexcept
      : tracker_(std::exchange(o.tracker_, nullptr)), id_(std::exchange(o.id_, 0)), target_(std::move(o.target_)) {}
  RequestGuard& operator=(RequestGuard&&) = delete;
  ~RequestGuard();
  /// The handler resolves the request itself.
  std::uint64_t disarm() noexcept {
    tracker_ = nullptr;
    return std::exchange(id_, 0);
  }
  /// The id whose guard must not fire on this thread (it is being enqueued: a rejected enqueue is
  /// reported to the sender synchronously instead).
  static thread_local std::uint64_t enqueuing;

 private:
  CorrelationTracker* tracker_ = nullptr;
  std::uint64_t id_ = 0;
  std::shared_ptr<const std::string> target_;
};

/// A message for a component (send, request): msg.correlation is set for requests.
struct Inbound {
  abi::Message msg;
  RequestGuard guard;
};
/// What a component publishes (one shared block per publish).
struct Published {
  std::string from;
  abi::Bytes payload;
};
/// The answer to a request made by instance `epoch` of the component.
struct ResponseIn {
  std::uint64_t epoch;
  abi::Response response;
};
/// A services.set-timer timer of instance `epoch`, fired.
struct TimerFired {
  std::uint64_t epoch;
  std::uint64_t id;
  abi::Bytes payload;
};
/// The first instance, prepared by the spawning thread, handed to the actor.
struct Adopt {
  std::shared_ptr<void> live;  // ComponentActor::Live
};
/// Host -> actor control.
struct Control {
  enum class Kind : std::uint8_t { wake, restart, resume, release_memory } kind;
};

/// Pub/sub subscriptions of one component address, counted per pattern: two instances live
/// side by side during an upgrade, and the first instance's init runs on the spawning thread.
class SubscriptionBook {
 public:
  Result<void> subscribe(rt::MessageBroker& broker, const std::string& pattern, const rt::ActorRef& who);
  void unsubscribe(rt::MessageBroker& broker, const std::string& pattern, const rt::ActorRef& who);
  /// Drops everything (a fresh actor after a restart).
  void reset(rt::MessageBroker& broker, const rt::ActorRef& who);

 private:
  std::mutex mutex_;
  std::map<std::string, unsigned, std::less<>> refs_;  // guarded by mutex_
};

/// A requested upgrade, applied by the actor at the start of its next turn.
struct UpgradeRequest {
  std::shared_ptr<const Module> module;
  std::promise<Result<void>> done;
};

struct ComponentTree;

/// Where a component sits in its supervision tree; set before its actor starts.
struct Placement {
  std::vector<std::string> groups;  ///< enclosing group names, outermost first (empty: spawn's own)
  rt::Strategy strategy = rt::Strategy::one_for_one;  ///< its parent group's
  std::shared_ptr<ComponentTree> tree;
};

class ComponentRecord {
 public:
  ComponentRecord(HostCore& core, ComponentSpec spec, std::shared_ptr<const Module> module);

  HostCore& core;
  const std::string address;
  const std::shared_ptr<const std::string> address_ptr;  // shared into tracker entries
  const Grants grants;
  const std::vector<std::pair<std::string, std::string>> settings;
  const std::optional<abi::Bytes> data;
  const std::vector<std::string> accepted_codecs;
  const Supervision supervision;
  const rt::MailboxOptions mailbox;

  Placement placement;
  rt::ActorRef supervisor;  // spawn's own one-child supervisor (empty inside a group); set before `ready`
  rt::ActorRef actor;       // set before `ready`
  std::atomic<bool> ready{false};

  std::atomic<ComponentStatus> status{ComponentStatus::starting};
  std::atomic<std::uint64_t> handled{0}, restarts{0}, failures{0}, released_bytes{0};
  std::atomic<std::uint64_t> next_epoch{1};
  std::atomic<std::uint64_t> limits_version{1};
  std::atomic<std::size_t> max_message_bytes;
  std::atomic<std::uint32_t> max_sends_per_second;
  std::atomic<bool> stopping{false};
  std::atomic<bool> watching{false};  // a give-up check is scheduled
  std::atomic<bool> adopting{false};  // the first instance is being prepared by the spawning thread
  // The idle sweep: `handled` at the previous sweep, and when its memory was last released.
  std::atomic<std::uint64_t> idle_mark{~std::uint64_t{0}}, released_mark{~std::uint64_t{0}};
  SubscriptionBook subscriptions;
  /// WASI files: the component's directory (set by spawn when the filesystem is granted) and the
  /// bytes its files use, counted against its storage quota.
  std::filesystem::path files_dir;
  std::atomic<std::uint64_t> file_bytes{0};
  /// False if `n` more bytes of files would exceed the quota (key-value bytes included).
  bool reserve_file_bytes(std::uint64_t n);
  void release_file_bytes(std::uint64_t n);

  bool accepts(std::optional<std::string_view> codec) const;

  std::shared_ptr<const Module> module() const;
  void set_module(std::shared_ptr<const Module> m);
  /// Sets `m` only if the module is still `expected` (an upgrade in between wins).
  bool replace_module(const std::shared_ptr<const Module>& expected, std::shared_ptr<const Module> m);
  ComponentLimits limits() const;
  void set_limits(const ComponentLimits& l);
  std::string last_error() const;
  void set_last_error(std::string e);

  /// Errors: invalid_argument if an upgrade is already pending.
  Result<void> set_upgrade(std::shared_ptr<UpgradeRequest> u);
  std::shared_ptr<UpgradeRequest> take_upgrade();
  bool upgrade_pending() const noexcept { return upgrade_flag_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Module> module_;  // guarded by mutex_
  ComponentLimits limits_;                // guarded by mutex_
  std::string last_error_;                // guarded by mutex_
  std::shared_ptr<UpgradeRequest> upgrade_;                  // guarded by mutex_
  std::atomic<bool> upgrade_flag_{false};
};

class InstanceHost;

class ComponentActor final : public rt::Actor {
 public:
  explicit ComponentActor(std::shared_ptr<ComponentRecord> record);
  ~ComponentActor() override;

  /// An instance with its host, ready to serve (instantiated and init'ed).
  struct Live {
    std::unique_ptr<InstanceHost> host;
    std::unique_ptr<abi::ComponentInstance> instance;
    std::uint64_t limits_version = 0;
    Live();
    Live(Live&&) noexcept;
    Live& operator=(Live&&) noexcept;
    ~Live();
  };
  /// Instantiates `module` for `record` and runs init, on the calling thread; the instance's
  /// imports act for actor `self` (used by spawn for the first instance, and by the actor).
  static Result<Live> prepare(const std::shared_ptr<ComponentRecord>& record, const std::shared_ptr<const Module>& module,
                              const rt::ActorRef& self, rt::ActorSystem& system);

  void on_start() override;
  void on_restart(const Error& reason) override;
  void on_stop() override;
  void receive(rt::Message& msg) override;
  bool healthy() override;

  ComponentRecord& record() noexcept { return *record_; }
  static void discard(Live& live, bool call_shutdown);

 private:
  Result<Live> instantiate(const std::shared_ptr<const Module>& module);
  void adopt(Live live);
  void start(const Error* restart_reason);
  void prepare_turn();
  void apply_upgrade(UpgradeRequest& u);
  void deliver(abi::Message msg, RequestGuard* guard);
  void guest_failed(const Error& e, std::string_view during);
  std::string restart_detail(const Error& reason) const;
  /// The guest called proc_exit(0): the component stops normally (no restart).
  void guest_exited();

  std::shared_ptr<ComponentRecord> record_;
  Live live_;
  std::uint64_t epoch_ = 0;
  std::uint64_t limits_seen_ = 0;
  bool dropping_ = false;  // discarding what was queued before a restart, until Control::resume
  std::vector<std::unique_ptr<rt::Envelope>> early_;  // arrived before the first instance was adopted
};

}  // namespace airssys::wasm
