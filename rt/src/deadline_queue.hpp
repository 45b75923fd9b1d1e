// One timer structure for every pending request's deadline: a min-heap served by a single Asio
// timer armed at the earliest deadline (not a timer object per request). Resolved entries are
// skipped when they come due and compacted away when they pile up.
// Thread-safety: add() from any thread; the timer runs on the io_context's thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <airssys/rt/message.hpp>

namespace airssys::rt::detail {

class DeadlineQueue {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DeadlineQueue(asio::io_context& io) : io_(io), timer_(io) {}

  /// When `deadline` passes and nobody resolved `slot` yet, it fails with `expired`.
  void add(Clock::time_point deadline, std::shared_ptr<ReplySlot> slot, Error expired);
  std::size_t size() const;
  /// Fails every pending slot with `why` (at shutdown).
  void fail_all(const Error& why);

 private:
  struct Entry {
    Clock::time_point deadline;
    std::shared_ptr<ReplySlot> slot;
    Error expired;
    bool operator>(const Entry& o) const noexcept { return deadline > o.deadline; }
  };
  void arm();
  void fire();
  void compact();

  asio::io_context& io_;
  asio::steady_timer timer_;  // touched on the io thread only
  mutable std::mutex mutex_;
  std::vector<Entry> heap_;
  std::size_t compact_at_ = 1024;
  Clock::time_point armed_for_ = Clock::time_point::max();
};

}  // namespace airssys::rt::detail
