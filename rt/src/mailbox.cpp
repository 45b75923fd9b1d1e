#include "mailbox.hpp"

#include <thread>

namespace airssys::rt::detail {

Mailbox::~Mailbox() {
  while (Envelope* e = pop()) delete e;
  delete bounded_.load();
}

void Mailbox::reconfigure(MailboxOptions o) {
  if (o.capacity && !bounded()) {
    // Producers that still see no ring push to the queue; pop() drains it first.
    Bounded* fresh = new Bounded;
    Bounded* none = nullptr;
    if (!bounded_.compare_exchange_strong(none, fresh, std::memory_order_acq_rel)) delete fresh;
  }
  Bounded* b = bounded_.load(std::memory_order_acquire);
  std::unique_lock<std::mutex> lock;
  if (b) lock = std::unique_lock(b->mutex);
  capacity_.store(o.capacity, std::memory_order_relaxed);
  policy_.store(o.policy, std::memory_order_relaxed);
  block_timeout_ms_.store(o.block_timeout.count(), std::memory_order_relaxed);
  if (b) b->not_full.notify_all();  // a raised capacity lets blocked senders in
}

MailboxOptions Mailbox::options() const noexcept {
  return {capacity_.load(std::memory_order_relaxed), policy_.load(std::memory_order_relaxed),
          std::chrono::milliseconds(block_timeout_ms_.load(std::memory_order_relaxed))};
}

bool Mailbox::full(const Bounded& b) const noexcept {
  const auto cap = capacity_.load(std::memory_order_relaxed);
  return cap != 0 && b.ring.size() + queue_.depth() >= cap;
}

Mailbox::Outcome Mailbox::push(std::unique_ptr<Envelope>& e, bool may_block, std::unique_ptr<Envelope>& evicted) {
  Bounded* b = bounded_.load(std::memory_order_acquire);
  if (!b) {
    queue_.push(e.release());
    return Outcome::accepted;
  }
  std::unique_lock lock(b->mutex);
  if (full(*b)) {
    if (auto o = overflow(*b, lock, e, may_block, evicted); o != Outcome::accepted) return o;
  }
  b->ring.push_back(e.release());
  size_.fetch_add(1, std::memory_order_seq_cst);
  return Outcome::accepted;
}

// `accepted`: there is room now, push as usual.
Mailbox::Outcome Mailbox::overflow(Bounded& b, std::unique_lock<std::mutex>& lock, std::unique_ptr<Envelope>& e,
                                   bool may_block, std::unique_ptr<Envelope>& evicted) {
  switch (policy_.load(std::memory_order_relaxed)) {
    case OverflowPolicy::reject:
      return Outcome::rejected;
    case OverflowPolicy::drop_newest:
      return Outcome::dropped_newest;
    case OverflowPolicy::drop_oldest:
      // What the queue still holds from before the switch to a ring is older, but only the
      // consumer may take from the queue: the oldest of the ring goes (none: the new one).
      if (b.ring.empty()) return Outcome::dropped_newest;
      evicted.reset(b.ring.front());
      b.ring.pop_front();
      b.ring.push_back(e.release());
      return Outcome::accepted_dropped_oldest;
    case OverflowPolicy::block: {
      const std::chrono::milliseconds wait(block_timeout_ms_.load(std::memory_order_relaxed));
      if (!may_block || !b.not_full.wait_for(lock, wait, [&] { return !full(b); })) return Outcome::rejected;
      return Outcome::accepted;
    }
  }
  return Outcome::rejected;
}

Envelope* Mailbox::pop() noexcept {
  Bounded* b = bounded_.load(std::memory_order_acquire);
  if (!b) return queue_.pop();
  // Left in the queue from before the switch (or pushed by a sender that had not seen it yet).
  // depth() > 0 with nothing to pop: a producer is between its two steps; wait for it.
  while (queue_.depth() > 0) {
    if (Envelope* e = queue_.pop()) {
      if (policy_.load(std::memory_order_relaxed) == OverflowPolicy::block) {
        { std::lock_guard lock(b->mutex); }  // a sender between its check and its wait gets the notify
        b->not_full.notify_one();
      }
      return e;
    }
    std::this_thread::yield();
  }
  std::lock_guard lock(b->mutex);
  if (b->ring.empty()) return nullptr;
  Envelope* e = b->ring.front();
  b->ring.pop_front();
  size_.fetch_sub(1, std::memory_order_release);
  if (policy_.load(std::memory_order_relaxed) == OverflowPolicy::block) b->not_full.notify_one();
  return e;
}

}  // namespace airssys::rt::detail
