// CorrelationTracker: the requests in flight between components (and from the C++ API), each
// resolved exactly once — by the target's answer, its timeout, a cancel by the requester, or the
// target failing/stopping while it holds the request — whichever comes first. Later attempts
// (a late answer after the timeout, say) are dropped and counted.
//
// Layout: pending entries live in per-shard slabs addressed by the correlation id itself
// (id = generation:32 | shard:3 | slot:29), so the "concurrent map" lookup is an index plus a
// generation check under the shard's lock; a reused slot gets a new generation, so a stale id
// never matches. Deadlines sit in ONE timer structure: a hashed timing wheel of 1 ms ticks per
// shard, entries linked intrusively through their slots (O(1) insert and removal, nothing left
// behind on resolve), driven by a single self-rearming callback on the host's timer (one
// rt::ActorSystem::call_after per millisecond while anything is pending, none when idle).
// Memory per pending request: one slot (sizeof(Slot), 56 bytes) in a slab; no allocation per
// request once the slab has grown.
//
// Thread-safety: all members are safe from any thread. Sinks are called outside the locks.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <airssys/wasm/abi/types.hpp>

namespace airssys::wasm {

/// Where the response to a request goes. deliver() is called exactly once per request id, from
/// whichever thread resolved it (a scheduler worker, the timer thread, an API caller).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void deliver(abi::Response response) = 0;
};

using Outcome = tl::expected<abi::Bytes, abi::RequestError>;

class CorrelationTracker {
 public:
  /// Runs `fn` once at `when` (the host passes rt::ActorSystem::call_at). The tracker asks for a
  /// run at each millisecond boundary while requests are pending, so timeouts do not drift.
  using Scheduler = std::function<void(std::chrono::steady_clock::time_point when, std::function<void()> fn)>;

  struct Stats {
    std::uint64_t registered = 0;
    std::uint64_t answered = 0;   ///< resolved by an answer or a target failure
    std::uint64_t timed_out = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t late = 0;       ///< resolutions that came after the request was already resolved
    std::size_t pending = 0;
  };

  /// Without a scheduler nothing times out by itself: call tick() (tests, benchmarks).
  explicit CorrelationTracker(Scheduler scheduler = {});
  ~CorrelationTracker();
  CorrelationTracker(const CorrelationTracker&) = delete;
  CorrelationTracker& operator=(const CorrelationTracker&) = delete;

  /// Registers a request to `target` answered to `sink` within `timeout` (at least 1 ms).
  /// Returns its correlation id (never 0).
  std::uint64_t add(std::shared_ptr<ResponseSink> sink, std::shared_ptr<const std::string> target,
                    std::chrono::milliseconds timeout);
  /// Resolves `id` with `outcome` (the answer, or target_failed...). False if it was already
  /// resolved or never existed: then nothing is delivered and, if `count_late`, the attempt
  /// counts as a late answer.
  bool resolve(std::uint64_t id, Outcome outcome, bool count_late = true);
  /// Resolves `id` with `cancelled`, only if `owner` is the sink it was registered with (a
  /// component can cancel only its own requests). False if not pending or not owned.
  bool cancel(std::uint64_t id, const ResponseSink* owner);
  /// Forgets `id` without delivering anything (the request could not be enqueued: the caller
  /// reports the failure synchronously instead). False if it was not pending.
  bool withdraw(std::uint64_t id);
  /// Times out everything due by now; returns how many. Called by the timer callback.
  std::size_t tick();
  /// Resolves every pending request with `error` (host shutdown). Returns how many.
  std::size_t fail_all(const abi::RequestError& error);

  std::size_t pending() const noexcept;
  Stats stats() const;
  /// Bytes one pending request occupies in the tracker (its slot).
  static std::size_t bytes_per_slot() noexcept;

 private:
  struct Slot;
  struct Shard;
  using Clock = std::chrono::steady_clock;
  std::uint64_t now_ms() const noexcept;
  void arm();
  void on_timer();
  enum class Take : std::uint8_t { answer, cancel, withdraw };
  bool take(std::uint64_t id, const ResponseSink* owner, std::shared_ptr<ResponseSink>& sink,
            std::shared_ptr<const std::string>& target, Take why);

  static constexpr std::size_t kShards = 8;
  Scheduler scheduler_;
  const Clock::time_point epoch_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
  std::atomic<bool> ticking_{false};
  std::atomic<std::uint64_t> late_{0};
  std::atomic<unsigned> next_shard_{0};
  struct TimerGuard {
    std::mutex mutex;
    CorrelationTracker* self = nullptr;  // guarded by mutex; null once the tracker is destroyed
  };
  std::shared_ptr<TimerGuard> guard_;  // shared with the pending timer callback
};

}  // namespace airssys::wasm
