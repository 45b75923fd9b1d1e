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
  return detail::drop_page_runs(
      detail::whole_pages(memory()),
      [](std::uintptr_t p) { return all_zero(reinterpret_cast<const std::uint8_t*>(p), detail::page_size()); },
      [](std::uintptr_t, std::size_t) {});  // refused: the pages stay, zeros either way
}

}  // namespace airssys::wasm
