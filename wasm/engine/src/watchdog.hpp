// One thread for the call deadlines of every instance, on both tiers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace airssys::wasm::detail {

/// Calls `fire(target)` on its own thread when an armed call's deadline passes, unless the call
/// disarmed it first. Arming and disarming take a mutex (only calls with a deadline pay it) and
/// normally nothing else: the thread is woken only when a new deadline is earlier than the time
/// it already plans to wake at, and with nothing armed it still plans to wake within kIdleWake,
/// so a stream of short calls with the usual deadlines (a second or more) costs no wake-up per
/// call. That is what makes it cheaper than reading the clock during a call. Few calls are armed
/// at once (one per thread running guest code), so a vector is the whole data structure.
/// `fire` runs with the watchdog's mutex held: after disarm() returns it never runs for that key.
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::uint64_t;
  using Fire = void (*)(void* target);

  static Watchdog& get();
  Key arm(Fire fire, void* target, Clock::time_point when);
  void disarm(Key key);

 private:
  struct Armed {
    Key key;
    Clock::time_point when;
    Fire fire;
    void* target;
  };
  static constexpr auto kIdleWake = std::chrono::seconds(1);

  Watchdog();
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Armed> armed_;
  Clock::time_point planned_wake_ = Clock::time_point::min();  // until run() has planned
  std::uint64_t next_ = 0;
  std::thread thread_;
};

}  // namespace airssys::wasm::detail
