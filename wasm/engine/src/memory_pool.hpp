// Private: linear memories of finished interpreter instances, kept zeroed for the next one.
//
// Why: on the interpreter a new instance's memory is a std::vector that wabt allocates and
// zero-fills. For a one-page component that was half of a spawn: malloc's slow path plus 16
// fresh pages faulted in and cleared. Instances of modules whose memory layout we can replay
// (see MemoryPlan) are instantiated with a 0-page memory; we then hand it a buffer from their
// module's pool and copy the data segments ourselves. A buffer is cleared when its instance goes,
// on the thread that destroys it, so spawning takes a cleared buffer without touching its pages.
// Wasmtime's pooling allocator keeps memories for the same reason. Instances that can be reused
// whole keep theirs (InstanceShelf, module_impl.hpp); this pool serves the others, e.g. the
// restart of an instance that trapped.
#pragma once

#include <sys/mman.h>

#include <chrono>
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

/// Gives the runs of pages in `pages` for which `drop(page address)` is true (asked once per
/// page, in order) to madvise(MADV_DONTNEED), so they read as zeros and hold no memory until
/// touched. `refused(address, length)` gets each run madvise refused. Returns the bytes dropped.
template <class Drop, class Refused>
std::size_t drop_page_runs(PageRange pages, Drop drop, Refused refused) {
  const std::size_t page = page_size();
  std::size_t dropped = 0;
  std::uintptr_t run = 0;  // start of the current run, 0: none
  auto flush = [&](std::uintptr_t until) {
    if (!run) return;
    if (::madvise(reinterpret_cast<void*>(run), until - run, MADV_DONTNEED) == 0)
      dropped += until - run;
    else
      refused(run, until - run);
    run = 0;
  };
  for (std::uintptr_t p = pages.first; p < pages.end; p += page) {
    if (!drop(p))
      flush(p);
    else if (!run)
      run = p;
  }
  flush(pages.end);
  return dropped;
}
/// Zeroes `bytes`: resident pages in place, the others by dropping them (MADV_DONTNEED), so
/// pages an idle instance gave back are not faulted in only to be cleared.
void clear_memory(std::span<std::uint8_t> bytes) noexcept;

/// What the pools and shelves of all modules may keep, process-wide: kMaxKeptBytes of linear
/// memory, counting pooled buffers and the memories of parked instances.
constexpr std::size_t kMaxKeptBytes = 64u << 20;  ///< 1024 one-page memories
constexpr std::size_t kMaxKeptBuffer = 1u << 20;  ///< larger memories are not kept
/// Takes `bytes` from that budget; false (nothing taken) if that would pass kMaxKeptBytes.
bool reserve_kept(std::size_t bytes) noexcept;
void release_kept(std::size_t bytes) noexcept;

/// Zeroed buffers by size for one module's instances; dies with the module, so what a module
/// kept goes back to the allocator when the module does (with its Engine).
class MemoryPool {
 public:
  MemoryPool() = default;
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;
  ~MemoryPool();

  /// A zeroed buffer of exactly `bytes` bytes: a kept one if there is one of that size, else new.
  std::vector<std::uint8_t> take(std::size_t bytes);
  /// Clears `buffer` and keeps it for a later take(), or leaves it to the caller to free when
  /// the budget is spent.
  void give(std::vector<std::uint8_t>&& buffer) noexcept;
  /// Frees the buffers kept since before `cutoff`; returns their bytes.
  std::size_t trim(std::chrono::steady_clock::time_point cutoff);

 private:
  struct Kept {
    std::vector<std::uint8_t> buffer;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<Kept>> free_;  // newest last
};

}  // namespace airssys::wasm::detail
