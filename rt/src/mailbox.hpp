// A cell's user mailbox: lock-free when unbounded, a small locked ring when bounded (so every
// overflow policy can be applied exactly, including drop-oldest and blocking senders).
// Thread-safety: push() from any thread; pop() from the owning cell's turn only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <airssys/rt/detail/mpsc_queue.hpp>
#include <airssys/rt/mailbox.hpp>

namespace airssys::rt::detail {

class Mailbox {
 public:
  enum class Outcome { accepted, rejected, dropped_newest, accepted_dropped_oldest };

  explicit Mailbox(MailboxOptions o) : opts_(o), bounded_(o.capacity ? std::make_unique<Bounded>() : nullptr) {}
  ~Mailbox();

  /// `evicted` receives the dropped oldest envelope (caller disposes of it).
  Outcome push(std::unique_ptr<Envelope>& e, bool may_block, std::unique_ptr<Envelope>& evicted);
  Envelope* pop() noexcept;
  /// Unbounded mailboxes only: a linked batch in one step.
  void push_chain(Envelope* first, Envelope* last, std::uint64_t count) noexcept {
    queue_.push_chain(first, last, count);
  }
  std::uint64_t depth() const noexcept {
    return bounded() ? size_.load(std::memory_order_seq_cst) : queue_.depth();
  }
  bool bounded() const noexcept { return opts_.capacity != 0; }

 private:
  struct Bounded {  // allocated only for bounded mailboxes: keeps idle actors small
    std::mutex mutex;
    std::condition_variable not_full;
    std::deque<Envelope*> ring;
  };
  MailboxOptions opts_;
  std::atomic<std::uint64_t> size_{0};  // bounded mode
  MpscQueue queue_;                      // unbounded mode (counts itself)
  std::unique_ptr<Bounded> bounded_;
};

}  // namespace airssys::rt::detail
