#include "deadline_queue.hpp"

#include <algorithm>
#include <functional>

#include <asio/post.hpp>

namespace airssys::rt::detail {

void DeadlineQueue::add(Clock::time_point deadline, std::shared_ptr<ReplySlot> slot, Error expired) {
  bool rearm = false;
  {
    std::lock_guard lock(mutex_);
    if (heap_.size() >= compact_at_) compact();
    heap_.push_back(Entry{deadline, std::move(slot), std::move(expired)});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
    // Only an earlier deadline than the armed one needs the timer moved (a post to the io thread).
    if (deadline < armed_for_) {
      armed_for_ = deadline;
      rearm = true;
    }
  }
  if (rearm) asio::post(io_, [this] { arm(); });
}

void DeadlineQueue::compact() {
  std::erase_if(heap_, [](const Entry& e) { return e.slot->resolved(); });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
  compact_at_ = std::max<std::size_t>(1024, heap_.size() * 2);
}

void DeadlineQueue::arm() {
  Clock::time_point next;
  {
    std::lock_guard lock(mutex_);
    if (heap_.empty()) {
      armed_for_ = Clock::time_point::max();
      return;
    }
    next = heap_.front().deadline;
    armed_for_ = next;
  }
  timer_.expires_at(next);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) fire();
  });
}

void DeadlineQueue::fire() {
  std::vector<Entry> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    while (!heap_.empty() && heap_.front().deadline <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      due.push_back(std::move(heap_.back()));
      heap_.pop_back();
    }
    armed_for_ = Clock::time_point::max();
  }
  for (auto& e : due) e.slot->try_fail(std::move(e.expired));
  arm();
}

std::size_t DeadlineQueue::size() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

void DeadlineQueue::fail_all(const Error& why) {
  std::vector<Entry> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(heap_);
  }
  for (auto& e : all) e.slot->try_fail(why);
}

}  // namespace airssys::rt::detail
