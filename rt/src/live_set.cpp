#include "live_set.hpp"

#include <mutex>

#include "cell.hpp"

namespace airssys::rt::detail {

LiveSet::Shard& LiveSet::shard_of(const Cell* c) noexcept { return shards_[c->id % shards_.size()]; }

void LiveSet::insert(Cell* c) noexcept {
  auto& s = shard_of(c);
  std::lock_guard lock(s.lock);
  auto& l = c->live;
  l.prev = nullptr;
  l.next = s.head;
  if (s.head) s.head->live.prev = c;
  s.head = c;
  l.linked = true;
  size_.fetch_add(1, std::memory_order_release);
}

bool LiveSet::erase(Cell* c, const ActorStats& st) noexcept {
  auto& s = shard_of(c);
  std::lock_guard lock(s.lock);
  auto& l = c->live;
  if (!l.linked) return false;
  s.retired.handled += st.handled;
  s.retired.dropped += st.dropped;
  s.retired.restarts += st.restarts;
  s.retired.failures += st.failures;
  if (l.prev)
    l.prev->live.next = l.next;
  else
    s.head = l.next;
  if (l.next) l.next->live.prev = l.prev;
  l = LiveLinks{};
  size_.fetch_sub(1, std::memory_order_release);
  return true;
}

ActorStats LiveSet::retired() const {
  ActorStats sum;
  for (auto& s : shards_) {
    std::lock_guard lock(s.lock);
    sum.handled += s.retired.handled;
    sum.dropped += s.retired.dropped;
    sum.restarts += s.retired.restarts;
    sum.failures += s.retired.failures;
  }
  return sum;
}

void LiveSet::for_each(const std::function<void(Cell&)>& fn) const {
  for (auto& s : shards_) {
    std::lock_guard lock(s.lock);
    for (Cell* c = s.head; c; c = c->live.next) fn(*c);
  }
}

std::vector<Cell*> LiveSet::take_all() noexcept {
  std::vector<Cell*> out;
  for (auto& s : shards_) {
    std::lock_guard lock(s.lock);
    while (Cell* c = s.head) {
      s.head = c->live.next;
      c->live = LiveLinks{};
      out.push_back(c);
      size_.fetch_sub(1, std::memory_order_release);
    }
  }
  return out;
}

}  // namespace airssys::rt::detail
