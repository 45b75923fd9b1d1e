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
  /// False if `c` was not in the set.
  bool erase(Cell* c) noexcept;
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  /// Calls fn for every member, shard by shard (under that shard's lock: keep fn short).
  void for_each(const std::function<void(Cell&)>& fn) const;
  /// Empties the set and returns what it held.
  std::vector<Cell*> take_all() noexcept;

 private:
  struct alignas(64) Shard {
    mutable SpinLock lock;
    Cell* head = nullptr;
  };
  Shard& shard_of(const Cell* c) noexcept;
  std::array<Shard, 16> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace airssys::rt::detail
