// A GuestAllocator over a std::vector: a bump allocator standing in for a guest's cabi_realloc,
// for tests and the fuzzer that exercise lowering without an engine. It grows the vector (moving
// the memory, as memory.grow can) when it runs out.
#pragma once

#include <cstdint>
#include <vector>

#include <airssys/wasm/abi/lift.hpp>

namespace airssys::wasm::abi::testing {

class VectorAllocator final : public GuestAllocator {
 public:
  explicit VectorAllocator(std::size_t size = 4096, std::uint32_t start = 64) : mem(size), next(start) {}
  Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) override {
    ++allocations;
    std::uint64_t p = (next + align - 1) / align * align;
    if (p + size > limit) return fail(Errc::memory_limit, "vector allocator full");
    if (p + size > mem.size()) mem.resize(static_cast<std::size_t>((p + size) * 2));
    next = p + size;
    return static_cast<std::uint32_t>(p);
  }
  GuestMemory memory() override { return GuestMemory(std::span<std::uint8_t>(mem)); }

  std::vector<std::uint8_t> mem;
  std::uint64_t next;
  std::uint64_t limit = 64u << 20;
  int allocations = 0;
};

}  // namespace airssys::wasm::abi::testing
