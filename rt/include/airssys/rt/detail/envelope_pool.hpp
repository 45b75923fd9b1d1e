// Recycles envelope (and cell) memory through per-thread caches: messages are allocated on one thread and
// freed on another, which is the slow path of a general-purpose malloc. Blocks of up to
// kMaxBlock bytes are pooled; larger ones go to operator new. Under sanitizers the pool is off so
// every use-after-free stays visible.
// Thread-safety: allocate/deallocate from any thread.
#pragma once

#include <cstddef>

namespace airssys::rt::detail {

inline constexpr std::size_t kMaxPooledBlock = 640;  // envelopes, and the 568-byte cell

void* pool_allocate(std::size_t size);
void pool_deallocate(void* p, std::size_t size) noexcept;

}  // namespace airssys::rt::detail
