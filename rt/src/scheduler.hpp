// Runs ready actors on N worker threads. Each worker has a "next" slot (the actor its current
// actor just woke, run next on the same thread: ping-pong stays on one core, no wake-ups), a
// stealable local queue, and idle workers steal or park on a futex.
// Thread-safety: schedule() from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include <airssys/rt/detail/spin_lock.hpp>
#include <thread>
#include <vector>

namespace airssys::rt::detail {

class Cell;

class Scheduler {
 public:
  explicit Scheduler(std::size_t workers);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Queues a cell whose `scheduled` flag the caller just set; takes a reference to it.
  void schedule(Cell* c);
  /// True on one of this scheduler's worker threads.
  bool on_worker() const noexcept;
  /// Joins the workers; cells still queued are released without running.
  void stop();
  std::size_t size() const noexcept { return workers_.size(); }

 private:
  struct alignas(64) Worker {
    SpinLock mutex;
    std::deque<Cell*> queue;
    Cell* next = nullptr;
    std::thread thread;
  };
  void run(Worker& w);
  Cell* find_work(Worker& w);
  Cell* pop(Worker& w);
  Cell* steal(Worker& self);
  bool any_work() noexcept;
  void push(Worker& w, Cell* c);
  void wake_one() noexcept;
  void park();

  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> queued_{0};  // cells in stealable queues (not in next slots)
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<int> spinning_{0};  // idle workers still looking for work: they need no wake-up
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> round_robin_{0};
};

}  // namespace airssys::rt::detail
