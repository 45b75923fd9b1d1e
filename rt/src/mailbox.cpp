#include "mailbox.hpp"

namespace airssys::rt::detail {

Mailbox::~Mailbox() {
  while (Envelope* e = pop()) delete e;
}

Mailbox::Outcome Mailbox::push(std::unique_ptr<Envelope>& e, bool may_block, std::unique_ptr<Envelope>& evicted) {
  if (!bounded()) {
    queue_.push(e.release());
    return Outcome::accepted;
  }
  auto& b = *bounded_;
  std::unique_lock lock(b.mutex);
  if (b.ring.size() >= opts_.capacity) {
    switch (opts_.policy) {
      case OverflowPolicy::reject:
        return Outcome::rejected;
      case OverflowPolicy::drop_newest:
        return Outcome::dropped_newest;
      case OverflowPolicy::drop_oldest:
        evicted.reset(b.ring.front());
        b.ring.pop_front();
        b.ring.push_back(e.release());
        return Outcome::accepted_dropped_oldest;
      case OverflowPolicy::block:
        if (!may_block ||
            !b.not_full.wait_for(lock, opts_.block_timeout, [&] { return b.ring.size() < opts_.capacity; }))
          return Outcome::rejected;
        break;
    }
  }
  b.ring.push_back(e.release());
  size_.fetch_add(1, std::memory_order_seq_cst);
  return Outcome::accepted;
}

Envelope* Mailbox::pop() noexcept {
  if (!bounded()) return queue_.pop();
  auto& b = *bounded_;
  std::lock_guard lock(b.mutex);
  if (b.ring.empty()) return nullptr;
  Envelope* e = b.ring.front();
  b.ring.pop_front();
  size_.fetch_sub(1, std::memory_order_release);
  if (opts_.policy == OverflowPolicy::block) b.not_full.notify_one();
  return e;
}

}  // namespace airssys::rt::detail
