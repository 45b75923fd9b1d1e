#include <airssys/wasm/abi/memory.hpp>

#include <string>

namespace airssys::wasm::abi {
namespace {

std::string hex(std::uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

bool continuation(std::uint8_t c) noexcept { return (c & 0xC0) == 0x80; }

}  // namespace

bool valid_utf8(std::span<const std::uint8_t> text) noexcept {
  const std::uint8_t* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time: most payload text is ASCII.
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const std::uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Second-byte ranges per Unicode table 3-7: they exclude overlongs and surrogates.
    std::size_t extra;
    std::uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c == 0xE0) {
      extra = 2, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      extra = 2;
    } else if (c == 0xED) {
      extra = 2, hi = 0x9F;
    } else if (c == 0xF0) {
      extra = 3, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      extra = 3;
    } else if (c == 0xF4) {
      extra = 3, hi = 0x8F;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k <= extra; ++k)
      if (!continuation(p[i + k])) return false;
    i += extra + 1;
  }
  return true;
}

Result<void> GuestMemory::check(std::uint32_t ptr, std::uint64_t len, std::uint32_t align,
                                std::string_view what) const {
  // 64-bit sum: ptr + len cannot wrap.
  if (static_cast<std::uint64_t>(ptr) + len > mem_.size()) {
    return fail(Errc::bad_pointer, std::string(what) + ": [" + hex(ptr) + ", +" + std::to_string(len) +
                                       ") is outside the guest memory (" + std::to_string(mem_.size()) + " bytes)");
  }
  if (align > 1 && ptr % align != 0) {
    return fail(Errc::bad_alignment,
                std::string(what) + ": " + hex(ptr) + " is not aligned to " + std::to_string(align) + " bytes");
  }
  return {};
}

Result<std::span<const std::uint8_t>> GuestMemory::bytes(std::uint32_t ptr, std::uint64_t len,
                                                         std::string_view what) const {
  if (auto ok = check(ptr, len, 1, what); !ok) return tl::unexpected(ok.error());
  return std::span<const std::uint8_t>(mem_.data() + ptr, static_cast<std::size_t>(len));
}

Result<std::string_view> GuestMemory::string(std::uint32_t ptr, std::uint64_t len, std::string_view what) const {
  auto b = bytes(ptr, len, what);
  if (!b) return tl::unexpected(b.error());
  if (!valid_utf8(*b)) return fail(Errc::bad_utf8, std::string(what) + ": " + std::to_string(len) + " bytes at " + hex(ptr));
  return std::string_view(reinterpret_cast<const char*>(b->data()), b->size());
}

Result<void> GuestMemory::write(std::uint32_t ptr, std::span<const std::uint8_t> data, std::string_view what) const {
  if (auto ok = check(ptr, data.size(), 1, what); !ok) return ok;
  if (!data.empty()) std::memcpy(mem_.data() + ptr, data.data(), data.size());
  return {};
}

}  // namespace airssys::wasm::abi
