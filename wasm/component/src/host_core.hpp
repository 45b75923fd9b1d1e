// Private: the shared state of a HostSystem and the per-instance abi::Host.
#pragma once

#include <array>
#include <chrono>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include <airssys/rt/system.hpp>
#include <airssys/wasm/abi/host.hpp>
#include <airssys/wasm/component_actor.hpp>
#include <airssys/wasm/host_system.hpp>
#include <airssys/wasm/wasi.hpp>

namespace airssys::wasm {

/// The components and groups started by one spawn or spawn_group.
struct ComponentTree {
  rt::ActorRef root;  ///< the root group's supervisor
  std::vector<std::weak_ptr<ComponentRecord>> members;
  std::vector<std::string> groups;  ///< named groups, registered in HostCore::groups
};

class HostCore {
 public:
  explicit HostCore(HostOptions o);
  ~HostCore();

  HostOptions options;
  Engine engine;
  std::unique_ptr<ComponentStore> store;
  std::unique_ptr<AuditLog> audit;
  ComponentRegistry registry;
  std::unique_ptr<rt::ActorSystem> actors;
  std::unique_ptr<CorrelationTracker> tracker;
  std::array<HostFunctions, 8> imports;  // by granted interface set
  std::atomic<bool> stopped{false};
  mutable std::mutex groups_mutex;
  std::map<std::string, std::shared_ptr<ComponentTree>, std::less<>> groups;  // named group -> its tree
  std::atomic<std::uint64_t> dropped_responses{0};  // the requester's mailbox refused its response
  std::atomic<std::uint64_t> stale_deliveries{0};   // for an instance that no longer exists

  const HostFunctions& imports_for(const Grants& g) const;
  void emit(EventKind kind, const std::string& address, std::string detail);
  void deny(std::string_view component, std::string_view action, std::string_view target, std::string_view reason);
  void allow(std::string_view component, std::string_view action, std::string_view target, std::string_view reason);

  /// Loads and checks a module for `address` with `grants`: exports, foreign imports, imported
  /// interfaces against grants (a refusal is audited).
  Result<std::shared_ptr<const Module>> load_checked(std::string_view address, const std::filesystem::path& file,
                                                     std::span<const std::uint8_t> bytes, const Grants& grants,
                                                     std::shared_ptr<const Module> loaded = nullptr);

  /// Point-to-point send. `max_bytes`: the sender's limit.
  tl::expected<void, abi::SendError> route_send(std::string_view from, std::string_view to,
                                                std::span<const std::uint8_t> payload,
                                                std::optional<std::string_view> codec, std::size_t max_bytes);
  /// Registers the request and enqueues it; returns its correlation id.
  tl::expected<std::uint64_t, abi::SendError> route_request(std::string_view from, std::string_view to,
                                                            std::span<const std::uint8_t> payload,
                                                            std::chrono::milliseconds timeout,
                                                            std::shared_ptr<ResponseSink> sink, std::size_t max_bytes);
  /// ComponentTier::automatic: compiles `interp` in the background; instances made afterwards
  /// (restarts) run native code. Joined by the destructor.
  void compile_later(const std::shared_ptr<ComponentRecord>& rec, std::shared_ptr<const Module> interp);
  /// Watches a failing component until it is restarted or given up.
  void watch(const std::shared_ptr<ComponentRecord>& rec);
  /// Marks a component whose actor is gone for good as failed, frees its address, tells on_event.
  void give_up(const std::shared_ptr<ComponentRecord>& rec);
  /// Gives up every member of `tree` whose actor is gone (again later while its root is stopping).
  void sweep(const std::shared_ptr<ComponentTree>& tree);
  /// spawn and spawn_group (spawn's group is unnamed).
  Result<void> start_tree(GroupSpec spec);
  void shutdown();
  /// Asks components idle since the previous sweep to release their zero pages; re-arms itself.
  void sweep_idle();
  /// Takes `rec` out of service for good (stop through the API, or the guest exited with 0):
  /// unregisters it and stops its supervisor; no restart.
  void retire(ComponentRecord& rec, rt::StopMode mode, std::string why);

 private:
  std::mutex compiles_mutex_;
  std::vector<std::thread> compiles_;  // background AOT compiles (automatic tier)
  tl::expected<std::shared_ptr<ComponentRecord>, abi::SendError> target(std::string_view to, std::size_t size,
                                                                         std::size_t max_bytes,
                                                                         std::optional<std::string_view> codec);
};

/// Answers of one instance's requests go back to its actor, tagged with the instance's epoch.
class RequesterSink final : public ResponseSink {
 public:
  RequesterSink(HostCore& core, rt::ActorRef actor, std::uint64_t epoch)
      : core_(core), actor_(std::move(actor)), epoch_(epoch) {}
  void deliver(abi::Response response) override;

 private:
  HostCore& core_;
  rt::ActorRef actor_;
  std::uint64_t epoch_;
};

/// The abi::Host of one instance: every import, checked against the component's grants.
class InstanceHost final : public abi::Host {
 public:
  InstanceHost(ComponentRecord& record, rt::ActorRef self, rt::ActorSystem& system, std::uint64_t epoch);
  ~InstanceHost() override;
  std::uint64_t epoch() const noexcept { return epoch_; }
  /// Creates the instance's WASI state (before the instance is linked). Errors: io_error.
  Result<void> start_wasi();
  wasi::State* wasi() noexcept { return wasi_.get(); }
  /// Cancels its timers and drops its subscriptions (the instance is going away).
  void release();
  void timer_fired(std::uint64_t id) { timers_.erase(id); }

  tl::expected<void, abi::SendError> send(std::string_view to, Payload payload,
                                          std::optional<std::string_view> codec) override;
  tl::expected<std::uint64_t, abi::SendError> request(std::string_view to, Payload payload,
                                                      std::uint32_t timeout_ms) override;
  bool cancel(std::uint64_t id) override;
  tl::expected<void, abi::SendError> publish(std::string_view topic, Payload payload) override;
  tl::expected<void, abi::SendError> subscribe(std::string_view topic) override;
  void unsubscribe(std::string_view topic) override;
  std::string self_address() override;
  void log(abi::LogLevel level, std::string_view text) override;
  std::uint64_t now_unix_ms() override;
  std::uint64_t monotonic_ns() override;
  std::uint64_t set_timer(std::uint32_t delay_ms, Payload payload) override;
  bool cancel_timer(std::uint64_t id) override;
  abi::Bytes random_bytes(std::uint32_t len) override;
  tl::expected<std::optional<abi::Bytes>, abi::StorageError> storage_get(std::string_view key) override;
  tl::expected<void, abi::StorageError> storage_set(std::string_view key, Payload value) override;
  tl::expected<bool, abi::StorageError> storage_delete(std::string_view key) override;
  tl::expected<std::vector<std::string>, abi::StorageError> storage_list_keys(std::string_view prefix,
                                                                              std::uint32_t limit) override;
  tl::expected<abi::Usage, abi::StorageError> storage_usage() override;

 private:
  abi::SendError denied(std::string_view action, std::string_view target, std::string reason);
  bool rate_ok();
  tl::expected<void, abi::SendError> rate_limited();
  std::optional<abi::StorageError> storage_check(std::string_view action, std::string_view key);

  ComponentRecord& rec_;
  rt::ActorRef self_;
  rt::ActorSystem& system_;
  HostCore& core_;
  const std::uint64_t epoch_;
  std::shared_ptr<RequesterSink> sink_;
  std::unordered_map<std::uint64_t, rt::TimerId> timers_;
  std::uint64_t next_timer_ = 1;
  std::set<std::string, std::less<>> subscriptions_;
  double tokens_ = 0;  // token bucket for max_sends_per_second
  bool bucket_started_ = false;
  std::chrono::steady_clock::time_point refilled_;
  std::unique_ptr<wasi::State> wasi_;
};

}  // namespace airssys::wasm
