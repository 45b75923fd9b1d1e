// Private: linear memories of finished interpreter instances, kept zeroed for the next one.
//
// Why: on the interpreter a new instance's memory is a std::vector that wabt allocates and
// zero-fills. For a one-page component that was half of a spawn: malloc's slow path plus 16
// fresh pages faulted in and cleared. Instances of modules whose memory layout we can replay
// (see MemoryPlan) are instantiated with a 0-page memory; we then hand it a buffer from this
// pool and copy the data segments ourselves. A buffer is cleared when its instance goes, on the
// thread that destroys it, so spawning takes a cleared buffer without touching its pages.
// Wasmtime's pooling allocator does the same for the same reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <wabt/interp/interp.h>

namespace airssys::wasm::detail {

namespace wi = wabt::interp;

/// How to set up a module's memory 0 outside wabt: its initial size and the active data
/// segments to copy into it, in order. Only for modules with one defined 32-bit memory whose
/// active segments all target it at constant offsets (what C, C++ and AssemblyScript produce).
struct MemoryPlan {
  struct Segment {
    wi::Index index;       ///< into the module's data segments
    std::uint32_t offset;  ///< where it goes in memory 0
  };
  std::uint64_t initial_pages = 0;
  std::vector<Segment> active;
};

/// The plan for `desc`, or nullopt when wabt must set up the memory itself.
std::optional<MemoryPlan> plan_memory(const wi::ModuleDesc& desc);

/// The whole pages inside `bytes` as [first, end) addresses; first == end when there are none.
/// Only these may be given to madvise: the partial pages at either end hold other allocations.
struct PageRange {
  std::uintptr_t first, end;
};
PageRange whole_pages(std::span<const std::uint8_t> bytes) noexcept;
std::size_t page_size() noexcept;

/// Zeroed buffers by size, shared by every engine in the process. Bounded: a buffer that would
/// take the pool past kMaxBytes (or is larger than kMaxBuffer) is freed instead.
class MemoryPool {
 public:
  static constexpr std::size_t kMaxBytes = 64u << 20;   ///< 1024 one-page memories
  static constexpr std::size_t kMaxBuffer = 1u << 20;   ///< larger memories are not kept

  static MemoryPool& shared();

  /// A zeroed buffer of exactly `bytes` bytes: a kept one if there is one of that size, else new.
  std::vector<std::uint8_t> take(std::size_t bytes);
  /// Clears `buffer` and keeps it for a later take(), or frees it when the pool is full.
  void give(std::vector<std::uint8_t>&& buffer) noexcept;
  /// Bytes currently kept.
  std::size_t kept_bytes() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<std::vector<std::uint8_t>>> free_;
  std::size_t bytes_ = 0;
};

}  // namespace airssys::wasm::detail
