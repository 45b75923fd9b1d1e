#include "memory_pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <iterator>

namespace airssys::wasm::detail {

/// Resident pages are cleared in place, so the next instance finds them mapped; pages that are
/// not resident (released while the component idled, or swapped out) are dropped with
/// MADV_DONTNEED, which also makes them read as zeros.
void clear_memory(std::span<std::uint8_t> buf) noexcept {
  if (buf.empty()) return;  // a 0-page memory: no buffer at all (memset(nullptr, ...) is UB)
  const auto pages = whole_pages(buf);
  if (pages.first == pages.end) {
    std::memset(buf.data(), 0, buf.size());
    return;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(buf.data());
  std::memset(buf.data(), 0, pages.first - base);
  std::memset(reinterpret_cast<void*>(pages.end), 0, base + buf.size() - pages.end);

  const std::size_t page = page_size();
  std::array<unsigned char, kMaxKeptBuffer / 4096> resident{};  // pages are >= 4 KiB
  const std::size_t n = (pages.end - pages.first) / page;
  if (n > resident.size() || ::mincore(reinterpret_cast<void*>(pages.first), pages.end - pages.first, resident.data()) != 0) {
    std::memset(reinterpret_cast<void*>(pages.first), 0, pages.end - pages.first);
    return;
  }
  auto zero = [](std::uintptr_t at, std::size_t len) { std::memset(reinterpret_cast<void*>(at), 0, len); };
  drop_page_runs(
      pages,
      [&](std::uintptr_t p) {
        if (!(resident[(p - pages.first) / page] & 1)) return true;
        zero(p, page);
        return false;
      },
      zero);
}

std::size_t page_size() noexcept {
  static const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return kPage;
}

PageRange whole_pages(std::span<const std::uint8_t> bytes) noexcept {
  const std::uintptr_t page = page_size();
  const auto base = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (base + page - 1) & ~(page - 1);
  const std::uintptr_t end = (base + bytes.size()) & ~(page - 1);
  return first < end ? PageRange{first, end} : PageRange{first, first};
}

std::optional<MemoryPlan> plan_memory(const wi::ModuleDesc& desc) {
  if (desc.memories.size() != 1) return std::nullopt;
  for (const auto& imp : desc.imports) {
    if (imp.type.type->kind == wabt::ExternalKind::Memory) return std::nullopt;
  }
  const auto& limits = desc.memories.front().type.limits;
  if (limits.is_64 || limits.initial * WABT_PAGE_SIZE > kMaxKeptBuffer) return std::nullopt;
  MemoryPlan plan{limits.initial, {}};
  for (wi::Index i = 0; i < desc.datas.size(); ++i) {
    const auto& data = desc.datas[i];
    if (data.mode != wi::SegmentMode::Active) continue;
    if (data.memory_index != 0) return std::nullopt;
    // The offset expression as the interpreter compiled it: `i32.const N; return`, or another
    // form (global.get) that only wabt's own instantiation evaluates.
    wi::Istream::Offset at = data.init_func.code_offset;
    const wi::Instr constant = desc.istream.Read(&at);
    if (constant.op != wabt::Opcode::I32Const || desc.istream.Read(&at).op != wabt::Opcode::Return) return std::nullopt;
    plan.active.push_back({i, constant.imm_u32});
  }
  return plan;
}

namespace {
std::atomic<std::size_t> kept_bytes{0};
}  // namespace

bool reserve_kept(std::size_t bytes) noexcept {
  std::size_t now = kept_bytes.load(std::memory_order_relaxed);
  do {
    if (now + bytes > kMaxKeptBytes) return false;
  } while (!kept_bytes.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
  return true;
}

void release_kept(std::size_t bytes) noexcept { kept_bytes.fetch_sub(bytes, std::memory_order_relaxed); }

MemoryPool::~MemoryPool() {
  for (auto& [size, buffers] : free_) release_kept(size * buffers.size());
}

std::vector<std::uint8_t> MemoryPool::take(std::size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    auto it = free_.find(bytes);
    if (it != free_.end() && !it->second.empty()) {
      auto buffer = std::move(it->second.back().buffer);
      it->second.pop_back();
      release_kept(bytes);
      return buffer;
    }
  }
  return std::vector<std::uint8_t>(bytes);
}

void MemoryPool::give(std::vector<std::uint8_t>&& buffer) noexcept {
  const std::size_t size = buffer.size();
  if (size == 0 || size > kMaxKeptBuffer || !reserve_kept(size)) return;
  clear_memory(buffer);
  std::lock_guard lock(mutex_);
  try {
    free_[size].push_back(Kept{std::move(buffer), std::chrono::steady_clock::now()});
  } catch (...) {  // out of memory for the bookkeeping: the caller frees the buffer
    release_kept(size);
  }
}

std::size_t MemoryPool::trim(std::chrono::steady_clock::time_point cutoff) {
  std::vector<Kept> old;  // freed outside the lock
  std::size_t bytes = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto& [size, kept] : free_) {
      auto young = std::find_if(kept.begin(), kept.end(), [&](const Kept& k) { return k.since >= cutoff; });
      bytes += size * static_cast<std::size_t>(young - kept.begin());
      std::move(kept.begin(), young, std::back_inserter(old));
      kept.erase(kept.begin(), young);
    }
  }
  release_kept(bytes);
  return bytes;
}

}  // namespace airssys::wasm::detail
