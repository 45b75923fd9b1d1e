#include "mailbox.hpp"

namespace airssys::rt::detail {

Mailbox::~Mailbox() {
  while (Envelope* e = pop()) delete e;
}

Mailbox::Outcome Mailbox::push(std::unique_ptr<Envelope>& e, bool may_block, std::unique_ptr<Envelope>& evicted) {
  if (!bounded()) {
    size_.fetch_add(1, std::memory_order_release);
    queue_.push(e.release());
    return Outcome::accepted;
  }
  std::unique_lock lock(mutex_);
  if (ring_.size() >= opts_.capacity) {
    switch (opts_.policy) {
      case OverflowPolicy::reject:
        return Outcome::rejected;
      case OverflowPolicy::drop_newest:
        return Outcome::dropped_newest;
      case OverflowPolicy::drop_oldest:
        evicted.reset(ring_.front());
        ring_.pop_front();
        ring_.push_back(e.release());
        return Outcome::accepted_dropped_oldest;
      case OverflowPolicy::block:
        if (!may_block ||
            !not_full_.wait_for(lock, opts_.block_timeout, [&] { return ring_.size() < opts_.capacity; }))
          return Outcome::rejected;
        break;
    }
  }
  ring_.push_back(e.release());
  size_.fetch_add(1, std::memory_order_release);
  return Outcome::accepted;
}

Envelope* Mailbox::pop() noexcept {
  if (!bounded()) {
    Envelope* e = queue_.pop();
    if (e) size_.fetch_sub(1, std::memory_order_release);
    return e;
  }
  std::lock_guard lock(mutex_);
  if (ring_.empty()) return nullptr;
  Envelope* e = ring_.front();
  ring_.pop_front();
  size_.fetch_sub(1, std::memory_order_release);
  if (opts_.policy == OverflowPolicy::block) not_full_.notify_one();
  return e;
}

}  // namespace airssys::rt::detail
