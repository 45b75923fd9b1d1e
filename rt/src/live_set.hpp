// The set of cells not yet stopped, for introspection and shutdown. Sharded intrusive lists:
// insert and erase allocate nothing and contend only within a shard.
// Thread-safety: all members are safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <airssys/rt/detail/spin_lock.hpp>
#include <airssys/rt/stats.hpp>

namespace airssys::rt::detail {

class Cell;

/// The links a cell carries for its shard's list.
struct LiveLinks {
  Cell* prev = nullptr;
  Cell* next = nullptr;
  bool linked = false;
};

class LiveSet {
 public:
  void insert(Cell* c) noexcept;
  /// False if `c` was not in the set. Adds its counters to the shard's tally of stopped cells.
  bool erase(Cell* c, const ActorStats& final_stats) noexcept;
  /// Counters of every cell erased so far (handled, dropped, restarts, failures).
  ActorStats retired() const;
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  /// Calls fn for every member, shard by shard (under that shard's lock: keep fn short).
  void for_each(const std::function<void(Cell&)>& fn) const;
  /// Empties the set and returns what it held.
  std::vector<Cell*> take_all() noexcept;

 private:
  struct alignas(64) Shard {
    mutable SpinLock lock;
    Cell* head = nullptr;
    ActorStats retired;  // under `lock`: no shared counter for every stop to contend on
  };
  Shard& shard_of(const Cell* c) noexcept;
  std::array<Shard, 16> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace airssys::rt::detail
