// A cell's user mailbox: lock-free when unbounded, a small locked ring when bounded (so every
// overflow policy can be applied exactly, including drop-oldest and blocking senders).
// reconfigure() changes capacity and policy at any time. A mailbox made bounded stays on the ring
// (capacity 0 then means "no limit"), and pop() drains what the lock-free queue still holds
// first, so each sender's messages keep their order across the switch.
// Thread-safety: push() and reconfigure() from any thread; pop() from the owning cell's turn only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <memory>
#include <mutex>

#include <airssys/rt/detail/mpsc_queue.hpp>
#include <airssys/rt/mailbox.hpp>

namespace airssys::rt::detail {

class Mailbox {
 public:
  enum class Outcome { accepted, rejected, dropped_newest, accepted_dropped_oldest };

  explicit Mailbox(MailboxOptions o)
      : capacity_(o.capacity),
        policy_(o.policy),
        block_timeout_ms_(o.block_timeout.count()),
        bounded_(o.capacity ? new Bounded : nullptr) {}
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  /// New capacity and policy for the next push. Shrinking below the current depth drops
  /// nothing: pushes are refused (or evict, per policy) until the depth is below it.
  void reconfigure(MailboxOptions o);
  MailboxOptions options() const noexcept;

  /// `evicted` receives the dropped oldest envelope (caller disposes of it).
  Outcome push(std::unique_ptr<Envelope>& e, bool may_block, std::unique_ptr<Envelope>& evicted);
  Envelope* pop() noexcept;
  /// Unbounded mailboxes only: a linked batch in one step.
  void push_chain(Envelope* first, Envelope* last, std::uint64_t count) noexcept {
    queue_.push_chain(first, last, count);
  }
  std::uint64_t depth() const noexcept { return size_.load(std::memory_order_seq_cst) + queue_.depth(); }
  bool bounded() const noexcept { return bounded_.load(std::memory_order_acquire) != nullptr; }

 private:
  struct Bounded {  // allocated only for bounded mailboxes: keeps idle actors small
    std::mutex mutex;
    std::condition_variable not_full;
    std::deque<Envelope*> ring;
  };
  Outcome overflow(Bounded& b, std::unique_lock<std::mutex>& lock, std::unique_ptr<Envelope>& e, bool may_block,
                   std::unique_ptr<Envelope>& evicted);
  bool full(const Bounded& b) const noexcept;

  std::atomic<std::size_t> capacity_;  // 0: no limit
  std::atomic<OverflowPolicy> policy_;
  std::atomic<std::int64_t> block_timeout_ms_;
  std::atomic<std::uint64_t> size_{0};  // the ring's
  MpscQueue queue_;                      // unbounded mode (counts itself)
  std::atomic<Bounded*> bounded_;        // set once, when first bounded; owned
};

}  // namespace airssys::rt::detail
