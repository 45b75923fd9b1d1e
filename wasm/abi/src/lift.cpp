#include <airssys/wasm/abi/lift.hpp>

#include <limits>
#include <string>

#include <airssys/wasm/abi/contract.hpp>

#include "try.hpp"

namespace airssys::wasm::abi {

// ---- allocators ----------------------------------------------------------------------------

Result<std::uint32_t> check_allocation(const GuestMemory& memory, std::uint32_t ptr, std::uint32_t align,
                                       std::uint32_t size) {
  AIRSSYS_CHECK(memory.check(ptr, size, align, "cabi_realloc returned"));
  return ptr;
}

namespace {

Result<std::uint32_t> realloc_result(const Result<std::vector<Value>>& r, const GuestMemory& memory,
                                     std::uint32_t align, std::uint32_t size) {
  if (!r) return tl::unexpected(r.error());
  if (r->size() != 1) return fail(Errc::export_signature, "cabi_realloc returned " + std::to_string(r->size()) + " values");
  return check_allocation(memory, (*r)[0].u32, align, size);
}

std::array<Value, 4> realloc_args(std::uint32_t align, std::uint32_t size) {
  return {Value::i32(0), Value::i32(0), Value::i32(align), Value::i32(size)};
}

}  // namespace

Result<std::uint32_t> InstanceAllocator::allocate(std::uint32_t align, std::uint32_t size) {
  auto args = realloc_args(align, size);
  auto r = instance_.call(kExportRealloc, args);
  return realloc_result(r, memory(), align, size);
}

Result<std::uint32_t> ArgAreaAllocator::allocate(std::uint32_t align, std::uint32_t size) {
  // align is a power of two <= 8; base_ is 8-aligned (checked when the area was read).
  std::uint32_t at = (used_ + align - 1) & ~(align - 1);
  if (at >= used_ && at <= size_ && size <= size_ - at) {
    used_ = at + size;
    return base_ + at;
  }
  return fallback_.allocate(align, size);
}

Result<std::uint32_t> ContextAllocator::allocate(std::uint32_t align, std::uint32_t size) {
  auto args = realloc_args(align, size);
  auto r = context_.call(kExportRealloc, args);
  return realloc_result(r, memory(), align, size);
}

// ---- lifting -------------------------------------------------------------------------------

Result<bool> lift_option_disc(std::uint32_t disc, std::string_view what) {
  if (disc > 1) {
    return fail(Errc::bad_discriminant, std::string(what) + ": option discriminant " + std::to_string(disc));
  }
  return disc == 1;
}

Result<std::uint32_t> lift_enum(std::uint32_t value, std::uint32_t cases, std::string_view what) {
  if (value >= cases) {
    return fail(Errc::bad_discriminant, std::string(what) + ": case " + std::to_string(value) + " of " +
                                            std::to_string(cases));
  }
  return value;
}

Result<std::optional<std::string_view>> lift_option_string(const GuestMemory& memory, std::uint32_t disc,
                                                           std::uint32_t ptr, std::uint32_t len,
                                                           std::string_view what) {
  AIRSSYS_TRY(bool some, lift_option_disc(disc, what));
  if (!some) return std::optional<std::string_view>{};
  AIRSSYS_TRY(std::string_view s, memory.string(ptr, len, what));
  return std::optional<std::string_view>{s};
}

namespace {

Result<void> expect_flat(std::span<const Value> flat, std::size_t n, std::string_view what) {
  if (flat.size() != n) {
    return fail(Errc::invalid_argument, std::string(what) + ": " + std::to_string(flat.size()) +
                                            " flat values, expected " + std::to_string(n));
  }
  return {};
}

Result<std::string> lift_string(const GuestMemory& memory, std::uint32_t ptr, std::uint32_t len,
                                std::string_view what) {
  AIRSSYS_TRY(std::string_view s, memory.string(ptr, len, what));
  return std::string(s);
}

Result<Bytes> lift_bytes(const GuestMemory& memory, std::uint32_t ptr, std::uint32_t len, std::string_view what) {
  AIRSSYS_TRY(auto b, memory.bytes(ptr, len, what));
  return Bytes(b.begin(), b.end());
}

Result<std::optional<std::string>> lift_opt_string(const GuestMemory& memory, std::uint32_t disc, std::uint32_t ptr,
                                                   std::uint32_t len, std::string_view what) {
  AIRSSYS_TRY(auto s, lift_option_string(memory, disc, ptr, len, what));
  if (!s) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(*s)};
}

// A u8 discriminant of a result in memory (0 ok, 1 err).
Result<bool> load_result_disc(const GuestMemory& memory, std::uint32_t ptr, std::string_view what) {
  auto disc = memory.load_unchecked<std::uint8_t>(ptr);
  if (disc > 1) return fail(Errc::bad_discriminant, std::string(what) + ": result discriminant " + std::to_string(disc));
  return disc == 1;
}

}  // namespace

Result<Config> lift_config(const GuestMemory& memory, std::span<const Value> f) {
  AIRSSYS_CHECK(expect_flat(f, kFlatConfig, "config"));
  Config c;
  AIRSSYS_TRY(c.address, lift_string(memory, f[0].u32, f[1].u32, "config.address"));
  const std::uint32_t list = f[2].u32, count = f[3].u32;
  AIRSSYS_CHECK(memory.check(list, std::uint64_t{count} * 16, 4, "config.settings"));
  c.settings.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t e = list + i * 16;
    AIRSSYS_TRY(auto key, lift_string(memory, memory.load_unchecked<std::uint32_t>(e),
                                      memory.load_unchecked<std::uint32_t>(e + 4), "config.settings key"));
    AIRSSYS_TRY(auto value, lift_string(memory, memory.load_unchecked<std::uint32_t>(e + 8),
                                        memory.load_unchecked<std::uint32_t>(e + 12), "config.settings value"));
    c.settings.emplace_back(std::move(key), std::move(value));
  }
  AIRSSYS_TRY(bool has_data, lift_option_disc(f[4].u32, "config.data"));
  if (has_data) {
    AIRSSYS_TRY(c.data, lift_bytes(memory, f[5].u32, f[6].u32, "config.data"));
  }
  return c;
}

Result<Message> lift_message(const GuestMemory& memory, std::span<const Value> f) {
  AIRSSYS_CHECK(expect_flat(f, kFlatMessage, "message"));
  Message m;
  AIRSSYS_TRY(m.from, lift_string(memory, f[0].u32, f[1].u32, "message.from"));
  AIRSSYS_TRY(m.payload, lift_bytes(memory, f[2].u32, f[3].u32, "message.payload"));
  AIRSSYS_TRY(m.codec, lift_opt_string(memory, f[4].u32, f[5].u32, f[6].u32, "message.codec"));
  AIRSSYS_TRY(bool has_corr, lift_option_disc(f[7].u32, "message.correlation"));
  if (has_corr) m.correlation = f[8].u64;
  AIRSSYS_TRY(m.topic, lift_opt_string(memory, f[9].u32, f[10].u32, f[11].u32, "message.topic"));
  return m;
}

Result<Response> lift_response(const GuestMemory& memory, std::span<const Value> f) {
  AIRSSYS_CHECK(expect_flat(f, kFlatResponse, "response"));
  Response r;
  r.correlation = f[0].u64;
  AIRSSYS_TRY(r.from, lift_string(memory, f[1].u32, f[2].u32, "response.from"));
  switch (f[3].u32) {
    case 0: {
      AIRSSYS_TRY(Bytes payload, lift_bytes(memory, f[4].u32, f[5].u32, "response.outcome"));
      r.outcome = std::move(payload);
      return r;
    }
    case 1: {
      AIRSSYS_TRY(std::uint32_t kind, lift_enum(f[4].u32, 6, "response.outcome request-error"));
      RequestError e{static_cast<RequestError::Kind>(kind), {}};
      if (RequestError::has_text(e.kind)) {
        AIRSSYS_TRY(e.text, lift_string(memory, f[5].u32, f[6].u32, "response.outcome request-error"));
      }
      r.outcome = tl::unexpected(std::move(e));
      return r;
    }
    default:
      return fail(Errc::bad_discriminant, "response.outcome: result discriminant " + std::to_string(f[3].u32));
  }
}

Result<tl::expected<void, std::string>> lift_init_result(const GuestMemory& memory, std::uint32_t retptr) {
  AIRSSYS_CHECK(memory.check(retptr, 12, 4, "init result"));
  AIRSSYS_TRY(bool is_err, load_result_disc(memory, retptr, "init result"));
  if (!is_err) return tl::expected<void, std::string>{};
  AIRSSYS_TRY(auto text, lift_string(memory, memory.load_unchecked<std::uint32_t>(retptr + 4),
                                     memory.load_unchecked<std::uint32_t>(retptr + 8), "init result err"));
  return tl::expected<void, std::string>{tl::unexpect, std::move(text)};
}

Result<tl::expected<std::optional<Bytes>, std::string>> lift_handle_message_result(const GuestMemory& memory,
                                                                                   std::uint32_t retptr) {
  using Out = tl::expected<std::optional<Bytes>, std::string>;
  AIRSSYS_CHECK(memory.check(retptr, 16, 4, "handle-message result"));
  AIRSSYS_TRY(bool is_err, load_result_disc(memory, retptr, "handle-message result"));
  if (is_err) {
    AIRSSYS_TRY(auto text, lift_string(memory, memory.load_unchecked<std::uint32_t>(retptr + 4),
                                       memory.load_unchecked<std::uint32_t>(retptr + 8), "handle-message result err"));
    return Out{tl::unexpect, std::move(text)};
  }
  AIRSSYS_TRY(bool some, lift_option_disc(memory.load_unchecked<std::uint8_t>(retptr + 4), "handle-message result ok"));
  if (!some) return Out{std::optional<Bytes>{}};
  AIRSSYS_TRY(auto payload, lift_bytes(memory, memory.load_unchecked<std::uint32_t>(retptr + 8),
                                       memory.load_unchecked<std::uint32_t>(retptr + 12), "handle-message result ok"));
  return Out{std::optional<Bytes>{std::move(payload)}};
}

// ---- lowering ------------------------------------------------------------------------------

namespace {

Result<std::uint32_t> size32(std::uint64_t n, std::string_view what) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return fail(Errc::invalid_argument, std::string(what) + ": " + std::to_string(n) + " bytes do not fit a wasm32 memory");
  }
  return static_cast<std::uint32_t>(n);
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void push_i32(std::vector<Value>& flat, std::uint32_t v) { flat.push_back(Value::i32(v)); }

Result<void> push_string(GuestAllocator& alloc, std::vector<Value>& flat, std::string_view s) {
  AIRSSYS_TRY(std::uint32_t ptr, lower_string(alloc, s));
  push_i32(flat, ptr);
  push_i32(flat, static_cast<std::uint32_t>(s.size()));
  return {};
}

Result<void> push_bytes(GuestAllocator& alloc, std::vector<Value>& flat, std::span<const std::uint8_t> b) {
  AIRSSYS_TRY(std::uint32_t ptr, lower_bytes(alloc, b));
  push_i32(flat, ptr);
  push_i32(flat, static_cast<std::uint32_t>(b.size()));
  return {};
}

Result<void> push_opt_string(GuestAllocator& alloc, std::vector<Value>& flat, const std::optional<std::string>& s) {
  if (!s) {
    for (int i = 0; i < 3; ++i) push_i32(flat, 0);
    return {};
  }
  push_i32(flat, 1);
  return push_string(alloc, flat, *s);
}

}  // namespace

Result<std::uint32_t> lower_bytes(GuestAllocator& alloc, std::span<const std::uint8_t> data, std::uint32_t align) {
  AIRSSYS_TRY(std::uint32_t size, size32(data.size(), "lowering a list"));
  AIRSSYS_TRY(std::uint32_t ptr, alloc.allocate(align, size));
  AIRSSYS_CHECK(alloc.memory().write(ptr, data, "lowering a list"));
  return ptr;
}

Result<std::uint32_t> lower_string(GuestAllocator& alloc, std::string_view text) {
  return lower_bytes(alloc, as_bytes(text), 1);
}

Result<void> lower_config(GuestAllocator& alloc, const Config& c, std::vector<Value>& flat) {
  AIRSSYS_CHECK(push_string(alloc, flat, c.address));
  // Strings first, then the list of (ptr, len) pairs that points at them.
  std::vector<std::uint32_t> words;
  words.reserve(c.settings.size() * 4);
  for (const auto& [key, value] : c.settings) {
    AIRSSYS_TRY(std::uint32_t k, lower_string(alloc, key));
    AIRSSYS_TRY(std::uint32_t v, lower_string(alloc, value));
    words.insert(words.end(), {k, static_cast<std::uint32_t>(key.size()), v, static_cast<std::uint32_t>(value.size())});
  }
  AIRSSYS_TRY(std::uint32_t list_size, size32(std::uint64_t{c.settings.size()} * 16, "config.settings"));
  AIRSSYS_TRY(std::uint32_t list, alloc.allocate(4, list_size));
  GuestMemory memory = alloc.memory();
  AIRSSYS_CHECK(memory.check(list, list_size, 4, "config.settings"));
  for (std::size_t i = 0; i < words.size(); ++i) memory.store_unchecked<std::uint32_t>(list + 4 * i, words[i]);
  push_i32(flat, list);
  push_i32(flat, static_cast<std::uint32_t>(c.settings.size()));
  if (!c.data) {
    for (int i = 0; i < 3; ++i) push_i32(flat, 0);
    return {};
  }
  push_i32(flat, 1);
  return push_bytes(alloc, flat, *c.data);
}

Result<void> lower_message(GuestAllocator& alloc, const Message& m, std::vector<Value>& flat) {
  AIRSSYS_CHECK(push_string(alloc, flat, m.from));
  AIRSSYS_CHECK(push_bytes(alloc, flat, m.payload));
  AIRSSYS_CHECK(push_opt_string(alloc, flat, m.codec));
  push_i32(flat, m.correlation ? 1 : 0);
  flat.push_back(Value::i64(m.correlation.value_or(0)));
  return push_opt_string(alloc, flat, m.topic);
}

Result<void> lower_response(GuestAllocator& alloc, const Response& r, std::vector<Value>& flat) {
  flat.push_back(Value::i64(r.correlation));
  AIRSSYS_CHECK(push_string(alloc, flat, r.from));
  if (r.outcome) {
    push_i32(flat, 0);
    AIRSSYS_CHECK(push_bytes(alloc, flat, *r.outcome));
    push_i32(flat, 0);
    return {};
  }
  push_i32(flat, 1);
  push_i32(flat, static_cast<std::uint32_t>(r.outcome.error().kind));
  if (RequestError::has_text(r.outcome.error().kind)) return push_string(alloc, flat, r.outcome.error().text);
  push_i32(flat, 0);
  push_i32(flat, 0);
  return {};
}

namespace {

// A string payload of an error variant: lowered first (allocation may move memory), then the
// caller writes (ptr, len) where the layout wants it.
struct LoweredText {
  std::uint32_t ptr = 0, len = 0;
};

Result<LoweredText> lower_text_if(GuestAllocator& alloc, bool has_text, std::string_view text) {
  if (!has_text) return LoweredText{};
  AIRSSYS_TRY(std::uint32_t ptr, lower_string(alloc, text));
  return LoweredText{ptr, static_cast<std::uint32_t>(text.size())};
}

// send-error at `at` (16 bytes, align 8; payload @8).
void store_send_error(const GuestMemory& m, std::uint32_t at, const SendError& e, LoweredText text) {
  m.store_unchecked<std::uint8_t>(at, static_cast<std::uint8_t>(e.kind));
  if (e.kind == SendError::Kind::too_large) {
    m.store_unchecked<std::uint64_t>(at + 8, e.limit);
  } else if (SendError::has_text(e.kind)) {
    m.store_unchecked<std::uint32_t>(at + 8, text.ptr);
    m.store_unchecked<std::uint32_t>(at + 12, text.len);
  }
}

// storage-error at `at` (12 bytes, align 4; string @4).
void store_storage_error(const GuestMemory& m, std::uint32_t at, const StorageError& e, LoweredText text) {
  m.store_unchecked<std::uint8_t>(at, static_cast<std::uint8_t>(e.kind));
  if (StorageError::has_text(e.kind)) {
    m.store_unchecked<std::uint32_t>(at + 4, text.ptr);
    m.store_unchecked<std::uint32_t>(at + 8, text.len);
  }
}

template <class T>
Result<void> lower_send_like(GuestAllocator& alloc, std::uint32_t retptr, const tl::expected<T, SendError>& result) {
  LoweredText text;
  if (!result) {
    AIRSSYS_TRY(text, lower_text_if(alloc, SendError::has_text(result.error().kind), result.error().text));
  }
  GuestMemory m = alloc.memory();
  AIRSSYS_CHECK(m.check(retptr, kSendResultSize, kSendResultAlign, "send-error result"));
  m.store_unchecked<std::uint8_t>(retptr, result ? 0 : 1);
  if (!result) {
    store_send_error(m, retptr + 8, result.error(), text);
  } else if constexpr (!std::is_void_v<T>) {
    m.store_unchecked<std::uint64_t>(retptr + 8, *result);
  }
  return {};
}

// The common shape of storage results (16 bytes, align 4, payload @4): lowers the error, or
// calls write_ok(memory) after checking the return area.
template <class T, class WriteOk>
Result<void> lower_storage_like(GuestAllocator& alloc, std::uint32_t retptr, const tl::expected<T, StorageError>& result,
                                std::uint32_t size, std::uint32_t align, std::uint32_t payload_at, WriteOk write_ok) {
  LoweredText text;
  if (!result) {
    AIRSSYS_TRY(text, lower_text_if(alloc, StorageError::has_text(result.error().kind), result.error().text));
  }
  GuestMemory m = alloc.memory();
  AIRSSYS_CHECK(m.check(retptr, size, align, "storage result"));
  m.store_unchecked<std::uint8_t>(retptr, result ? 0 : 1);
  if (!result) {
    store_storage_error(m, retptr + payload_at, result.error(), text);
    return {};
  }
  write_ok(m);
  return {};
}

}  // namespace

Result<void> lower_send_result(GuestAllocator& alloc, std::uint32_t retptr, const tl::expected<void, SendError>& r) {
  return lower_send_like(alloc, retptr, r);
}

Result<void> lower_request_result(GuestAllocator& alloc, std::uint32_t retptr,
                                  const tl::expected<std::uint64_t, SendError>& r) {
  return lower_send_like(alloc, retptr, r);
}

Result<void> lower_bytes_at(GuestAllocator& alloc, std::uint32_t retptr, std::span<const std::uint8_t> data) {
  AIRSSYS_TRY(std::uint32_t ptr, lower_bytes(alloc, data));
  GuestMemory m = alloc.memory();
  AIRSSYS_CHECK(m.check(retptr, kStringRetSize, kStringRetAlign, "list result"));
  m.store_unchecked<std::uint32_t>(retptr, ptr);
  m.store_unchecked<std::uint32_t>(retptr + 4, static_cast<std::uint32_t>(data.size()));
  return {};
}

Result<void> lower_string_at(GuestAllocator& alloc, std::uint32_t retptr, std::string_view text) {
  return lower_bytes_at(alloc, retptr, as_bytes(text));
}

Result<void> lower_storage_get(GuestAllocator& alloc, std::uint32_t retptr,
                               const tl::expected<std::optional<Bytes>, StorageError>& r) {
  std::uint32_t ptr = 0;
  if (r && *r) {
    AIRSSYS_TRY(ptr, lower_bytes(alloc, **r));
  }
  return lower_storage_like(alloc, retptr, r, kStorageResultSize, kStorageResultAlign, 4, [&](const GuestMemory& m) {
    m.store_unchecked<std::uint8_t>(retptr + 4, *r ? 1 : 0);
    if (*r) {
      m.store_unchecked<std::uint32_t>(retptr + 8, ptr);
      m.store_unchecked<std::uint32_t>(retptr + 12, static_cast<std::uint32_t>((*r)->size()));
    }
  });
}

Result<void> lower_storage_unit(GuestAllocator& alloc, std::uint32_t retptr, const tl::expected<void, StorageError>& r) {
  return lower_storage_like(alloc, retptr, r, kStorageResultSize, kStorageResultAlign, 4, [](const GuestMemory&) {});
}

Result<void> lower_storage_bool(GuestAllocator& alloc, std::uint32_t retptr, const tl::expected<bool, StorageError>& r) {
  return lower_storage_like(alloc, retptr, r, kStorageResultSize, kStorageResultAlign, 4, [&](const GuestMemory& m) {
    m.store_unchecked<std::uint8_t>(retptr + 4, *r ? 1 : 0);
  });
}

Result<void> lower_storage_keys(GuestAllocator& alloc, std::uint32_t retptr,
                                const tl::expected<std::vector<std::string>, StorageError>& r) {
  std::uint32_t list = 0, count = 0;
  if (r) {
    std::vector<std::uint32_t> words;
    words.reserve(r->size() * 2);
    for (const auto& key : *r) {
      AIRSSYS_TRY(std::uint32_t p, lower_string(alloc, key));
      words.insert(words.end(), {p, static_cast<std::uint32_t>(key.size())});
    }
    AIRSSYS_TRY(std::uint32_t size, size32(std::uint64_t{r->size()} * 8, "list-keys"));
    AIRSSYS_TRY(list, alloc.allocate(4, size));
    GuestMemory m = alloc.memory();
    AIRSSYS_CHECK(m.check(list, size, 4, "list-keys"));
    for (std::size_t i = 0; i < words.size(); ++i) m.store_unchecked<std::uint32_t>(list + 4 * i, words[i]);
    count = static_cast<std::uint32_t>(r->size());
  }
  return lower_storage_like(alloc, retptr, r, kStorageResultSize, kStorageResultAlign, 4, [&](const GuestMemory& m) {
    m.store_unchecked<std::uint32_t>(retptr + 4, list);
    m.store_unchecked<std::uint32_t>(retptr + 8, count);
  });
}

Result<void> lower_storage_usage(GuestAllocator& alloc, std::uint32_t retptr,
                                 const tl::expected<Usage, StorageError>& r) {
  return lower_storage_like(alloc, retptr, r, kUsageResultSize, kUsageResultAlign, 8, [&](const GuestMemory& m) {
    m.store_unchecked<std::uint64_t>(retptr + 8, r->bytes);
    m.store_unchecked<std::uint64_t>(retptr + 16, r->keys);
    m.store_unchecked<std::uint64_t>(retptr + 24, r->quota_bytes);
  });
}

}  // namespace airssys::wasm::abi
