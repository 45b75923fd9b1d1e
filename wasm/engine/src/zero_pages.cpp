#include <sys/mman.h>
#include <unistd.h>

#include <airssys/wasm/engine.hpp>
#include <cstring>

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
  static const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  auto mem = memory();
  if (mem.size() < kPage) return 0;
  // Only whole pages inside the buffer: its first and last partial pages may hold other data.
  const auto base = reinterpret_cast<std::uintptr_t>(mem.data());
  const std::uintptr_t first = (base + kPage - 1) & ~(kPage - 1);
  const std::uintptr_t end = (base + mem.size()) & ~(kPage - 1);
  std::size_t released = 0;
  std::uintptr_t run = 0;  // start of the current run of zero pages, 0: none
  auto flush = [&](std::uintptr_t until) {
    if (run && until > run && ::madvise(reinterpret_cast<void*>(run), until - run, MADV_DONTNEED) == 0)
      released += until - run;
    run = 0;
  };
  for (std::uintptr_t p = first; p < end; p += kPage) {
    if (all_zero(reinterpret_cast<const std::uint8_t*>(p), kPage)) {
      if (!run) run = p;
    } else {
      flush(p);
    }
  }
  flush(end);
  return released;
}

}  // namespace airssys::wasm
