// A test-and-test-and-set lock for critical sections of a few instructions (queue push/pop, a
// hash probe): one RMW to take, a plain store to release; a system call only to yield when the
// holder seems preempted.
#pragma once

#include <atomic>
#include <thread>

#include <airssys/rt/detail/cpu_relax.hpp>

namespace airssys::rt::detail {

class SpinLock {
 public:
  void lock() noexcept {
    while (held_.exchange(true, std::memory_order_acquire)) {
      // Spin briefly, then yield: with more threads than cores the holder may be preempted, and
      // spinning through its time slice is what would make this lock slow.
      for (int i = 0; held_.load(std::memory_order_relaxed); ++i) {
        if (i < 64)
          cpu_relax();
        else
          std::this_thread::yield();
      }
    }
  }
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

}  // namespace airssys::rt::detail
