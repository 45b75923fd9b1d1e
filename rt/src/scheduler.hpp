// Runs ready actors on N worker threads.
//
// Each worker has a "next" slot (the actor its current actor just woke runs next on the same
// thread: ping-pong stays on one core) and a local queue. Idle workers spin briefly, then park
// on a futex. Moving an actor to another core costs cache misses on its mailbox and messages,
// which for short handlers outweighs the parallelism, so an idle worker steals only when it
// pays: the victim is parked, or the oldest actor in its queue has waited long enough
// (kStealAfter) that a second core helps latency more than the migration costs; the next slot is
// taken over only when its owner has been stuck in one turn that long. A busy worker
// wakes a parked one only when its queue reaches a backlog worth sharing; a watchdog thread
// (one tick per millisecond) wakes one when a worker is stuck in a turn with actors waiting.
// Thread-safety: schedule() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <airssys/rt/detail/spin_lock.hpp>

namespace airssys::rt::detail {

class Cell;

class Scheduler {
 public:
  explicit Scheduler(std::size_t workers);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Queues a cell whose `scheduled` flag the caller just set; takes a reference to it.
  /// `yielded`: the cell itself used up its turn with work left, so it goes to the back of the
  /// queue (not the next slot) and everything already waiting runs first.
  void schedule(Cell* c, bool yielded = false);
  /// True on one of this scheduler's worker threads.
  bool on_worker() const noexcept;
  /// Joins the workers; cells still queued are released without running.
  void stop();
  std::size_t size() const noexcept { return workers_.size(); }

 private:
  struct alignas(64) Worker {
    SpinLock mutex;
    std::deque<std::pair<Cell*, std::int64_t>> queue;  // with the time it was queued (ns)
    std::atomic<std::size_t> size{0};             // queue.size(), readable without the lock
    std::atomic<std::int64_t> oldest{0};          // when the front entry was queued (ns)
    std::atomic<bool> parked{false};
    std::atomic<Cell*> next{nullptr};             // taken by a thief only if the owner is stuck
    std::atomic<std::uint64_t> turns{0};          // advances every turn (so: not stuck)
    unsigned next_streak = 0;                     // owner only: turns in a row taken from `next`
    std::thread thread;
    // Owner only: what this worker, while idle, last saw of each other worker's turns and since
    // when; kept across parking so a long turn is recognised.
    std::vector<std::pair<std::uint64_t, std::int64_t>> seen;
  };
  void run(Worker& w);
  Cell* find_work(Worker& w);
  Cell* pop(Worker& w);
  Cell* steal_from(Worker& self, Worker& victim);
  bool worth_waking_for() noexcept;
  bool worth_stealing(const Worker& v, std::int64_t now) const noexcept;
  static void after_removal(Worker& w) noexcept;
  void push(Worker& w, Cell* c, bool external);
  void wake_one() noexcept;
  void idle(Worker& w);

  void watch();

  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread watchdog_;  // wakes a parked worker when another is stuck with work waiting
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> waking_{false};  // a futex wake is in flight
  std::atomic<int> spinning_{0};  // idle workers still looking for work: they need no wake-up
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> round_robin_{0};
};

}  // namespace airssys::rt::detail
