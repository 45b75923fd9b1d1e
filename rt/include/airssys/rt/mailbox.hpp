// Mailbox options chosen at spawn.
#pragma once

#include <chrono>
#include <cstddef>

namespace airssys::rt {

/// What a bounded mailbox does when it is full.
enum class OverflowPolicy : unsigned char {
  reject,        ///< the sender gets Errc::mailbox_full
  drop_newest,   ///< the new message is dropped (counted); the sender is not told
  drop_oldest,   ///< the oldest queued message is dropped (counted; a request in it gets mailbox_full)
  block,         ///< senders outside the system wait up to `block_timeout`; inside, it acts as reject
};

struct MailboxOptions {
  std::size_t capacity = 0;  ///< 0 = unbounded
  OverflowPolicy policy = OverflowPolicy::reject;
  std::chrono::milliseconds block_timeout{100};

  static MailboxOptions unbounded() { return {}; }
  static MailboxOptions bounded(std::size_t capacity, OverflowPolicy policy = OverflowPolicy::reject,
                                std::chrono::milliseconds block_timeout = std::chrono::milliseconds(100)) {
    return {capacity, policy, block_timeout};
  }
};

}  // namespace airssys::rt
