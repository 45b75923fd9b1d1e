// A checked view of a guest's linear memory: every (ptr, len) is bounds-checked in 64-bit
// arithmetic, every typed load/store is alignment-checked, strings are validated as UTF-8.
// A bad guest value becomes a typed Error (bad_pointer, bad_alignment, bad_utf8), never UB.
//
// The view does not own the memory. It is invalidated by anything that can grow the memory:
// a call back into the guest (cabi_realloc) in particular. Re-create it after such a call.
// Thread-safety: a value; use it on the thread that drives the instance.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include <airssys/error.hpp>

namespace airssys::wasm::abi {

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::span<const std::uint8_t> text) noexcept;

class GuestMemory {
 public:
  GuestMemory() = default;
  explicit GuestMemory(std::span<std::uint8_t> bytes) noexcept : mem_(bytes) {}

  std::size_t size() const noexcept { return mem_.size(); }
  std::span<std::uint8_t> raw() const noexcept { return mem_; }

  /// Checks that [ptr, ptr + len) lies inside memory and ptr is a multiple of `align`.
  /// `what` names the value in the error ("messaging.send: to").
  [[nodiscard]] Result<void> check(std::uint32_t ptr, std::uint64_t len, std::uint32_t align, std::string_view what) const;

  /// A checked byte range (a list<u8> or a string before validation).
  [[nodiscard]] Result<std::span<const std::uint8_t>> bytes(std::uint32_t ptr, std::uint64_t len, std::string_view what) const;
  /// A checked UTF-8 string.
  [[nodiscard]] Result<std::string_view> string(std::uint32_t ptr, std::uint64_t len, std::string_view what) const;

  /// Little-endian unsigned load of sizeof(T) bytes, naturally aligned (the canonical ABI's rule).
  template <class T>
  Result<T> load(std::uint32_t ptr, std::string_view what) const {
    static_assert(std::is_unsigned_v<T>);
    if (auto ok = check(ptr, sizeof(T), sizeof(T), what); !ok) return tl::unexpected(ok.error());
    return load_unchecked<T>(ptr);
  }
  /// Little-endian unsigned store, naturally aligned.
  template <class T>
  Result<void> store(std::uint32_t ptr, T value, std::string_view what) const {
    static_assert(std::is_unsigned_v<T>);
    if (auto ok = check(ptr, sizeof(T), sizeof(T), what); !ok) return ok;
    store_unchecked<T>(ptr, value);
    return {};
  }
  /// Copies `data` to [ptr, ptr + data.size()).
  [[nodiscard]] Result<void> write(std::uint32_t ptr, std::span<const std::uint8_t> data, std::string_view what) const;

  /// For callers that checked the whole record once with check().
  template <class T>
  T load_unchecked(std::uint32_t ptr) const noexcept {
    T v;
    std::memcpy(&v, mem_.data() + ptr, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    return v;
  }
  template <class T>
  void store_unchecked(std::uint32_t ptr, T v) const noexcept {
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    std::memcpy(mem_.data() + ptr, &v, sizeof v);
  }

 private:
  template <class T>
  static T byteswap(T v) noexcept {
    T r = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) r = static_cast<T>((r << 8) | ((v >> (8 * i)) & 0xff));
    return r;
  }
  std::span<std::uint8_t> mem_;
};

}  // namespace airssys::wasm::abi
