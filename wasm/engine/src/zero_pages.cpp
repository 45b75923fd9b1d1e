#include <sys/mman.h>

#include <airssys/wasm/engine.hpp>
#include <cstring>

#include "memory_pool.hpp"

namespace airssys::wasm {

namespace {
bool all_zero(const std::uint8_t* p, std::size_t n) noexcept {
  // Word at a time; memory is page-aligned here.
  const auto* w = reinterpret_cast<const std::uint64_t*>(p);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < n / 8; i += 8)
    acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
  return acc == 0;
}
}  // namespace

std::size_t Instance::release_zero_pages() noexcept {
  const std::size_t kPage = detail::page_size();
  const auto pages = detail::whole_pages(memory());
  std::size_t released = 0;
  std::uintptr_t run = 0;  // start of the current run of zero pages, 0: none
  auto flush = [&](std::uintptr_t until) {
    if (run && until > run && ::madvise(reinterpret_cast<void*>(run), until - run, MADV_DONTNEED) == 0)
      released += until - run;
    run = 0;
  };
  for (std::uintptr_t p = pages.first; p < pages.end; p += kPage) {
    if (all_zero(reinterpret_cast<const std::uint8_t*>(p), kPage)) {
      if (!run) run = p;
    } else {
      flush(p);
    }
  }
  flush(pages.end);
  return released;
}

}  // namespace airssys::wasm
