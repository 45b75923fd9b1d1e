// Lifting (guest memory -> C++ values) and lowering (C++ values -> guest memory) of the contract's
// types, per the canonical ABI and docs/abi-signatures.md. Every lift validates pointers,
// lengths, alignment, UTF-8 and discriminants and reports a typed Error; nothing trusts the guest.
//
// Lowering allocates in guest memory through a GuestAllocator (the guest's cabi_realloc, or its
// argument area for export arguments): the guest owns what was lowered into it. After an allocation the memory may have moved: lowering
// code re-reads memory() after every allocate().
// Thread-safety: free functions; allocators belong to the thread driving the instance.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/wasm/abi/memory.hpp>
#include <airssys/wasm/abi/types.hpp>
#include <airssys/wasm/engine.hpp>

namespace airssys::wasm::abi {

/// Where lowered values go: the guest's cabi_realloc(0, 0, align, size).
class GuestAllocator {
 public:
  virtual ~GuestAllocator() = default;
  /// Returns a pointer checked to be aligned and in bounds (bad_pointer / bad_alignment if the
  /// guest's allocator returned garbage).
  virtual Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) = 0;
  /// The memory as it is now (re-read after allocate()).
  virtual GuestMemory memory() = 0;
};

/// Allocates through Instance::call (lowering export arguments).
class InstanceAllocator final : public GuestAllocator {
 public:
  explicit InstanceAllocator(Instance& instance) : instance_(instance) {}
  Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) override;
  GuestMemory memory() override { return GuestMemory(instance_.memory()); }

 private:
  Instance& instance_;
};

/// Lowers export arguments into the guest's argument area (kExportArgArea) while they fit, and
/// through cabi_realloc after that. One per call: the area is reused by the next call.
class ArgAreaAllocator final : public GuestAllocator {
 public:
  /// `size` 0: no area, every allocation calls cabi_realloc.
  ArgAreaAllocator(Instance& instance, std::uint32_t base, std::uint32_t size)
      : fallback_(instance), base_(base), size_(size) {}
  Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) override;
  GuestMemory memory() override { return fallback_.memory(); }

 private:
  InstanceAllocator fallback_;
  std::uint32_t base_, size_, used_ = 0;
};

/// Allocates through CallContext::call (lowering import results from inside a host function).
class ContextAllocator final : public GuestAllocator {
 public:
  explicit ContextAllocator(CallContext& context) : context_(context) {}
  Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) override;
  GuestMemory memory() override { return GuestMemory(context_.memory()); }

 private:
  CallContext& context_;
};

/// Checks what cabi_realloc returned: aligned, and `size` bytes inside memory.
Result<std::uint32_t> check_allocation(const GuestMemory& memory, std::uint32_t ptr, std::uint32_t align,
                                       std::uint32_t size);

// ---- lifting scalars and flat values -------------------------------------------------------

/// An option's flat discriminant: 0 none, 1 some, else bad_discriminant.
Result<bool> lift_option_disc(std::uint32_t disc, std::string_view what);
/// An enum of `cases` cases from its flat i32.
Result<std::uint32_t> lift_enum(std::uint32_t value, std::uint32_t cases, std::string_view what);
/// option<string> from (disc, ptr, len).
Result<std::optional<std::string_view>> lift_option_string(const GuestMemory& memory, std::uint32_t disc,
                                                           std::uint32_t ptr, std::uint32_t len,
                                                           std::string_view what);

/// Flat value counts of the export parameters.
inline constexpr std::size_t kFlatConfig = 7;
inline constexpr std::size_t kFlatMessage = 12;
inline constexpr std::size_t kFlatResponse = 7;

/// record config from its 7 flat values (copies out of guest memory).
Result<Config> lift_config(const GuestMemory& memory, std::span<const Value> flat);
/// record message from its 12 flat values.
Result<Message> lift_message(const GuestMemory& memory, std::span<const Value> flat);
/// record response from its 7 flat values.
Result<Response> lift_response(const GuestMemory& memory, std::span<const Value> flat);

/// init's result<_, string> at `retptr` (12 bytes, align 4).
Result<tl::expected<void, std::string>> lift_init_result(const GuestMemory& memory, std::uint32_t retptr);
/// handle-message's result<option<list<u8>>, string> at `retptr` (16 bytes, align 4).
Result<tl::expected<std::optional<Bytes>, std::string>> lift_handle_message_result(const GuestMemory& memory,
                                                                                   std::uint32_t retptr);

// ---- lowering ------------------------------------------------------------------------------

/// Copies `data` into a fresh guest allocation; returns its pointer.
Result<std::uint32_t> lower_bytes(GuestAllocator& alloc, std::span<const std::uint8_t> data,
                                  std::uint32_t align = 1);
Result<std::uint32_t> lower_string(GuestAllocator& alloc, std::string_view text);

/// Appends the flat values of each record, allocating its strings and lists in guest memory.
Result<void> lower_config(GuestAllocator& alloc, const Config& config, std::vector<Value>& flat);
Result<void> lower_message(GuestAllocator& alloc, const Message& message, std::vector<Value>& flat);
Result<void> lower_response(GuestAllocator& alloc, const Response& response, std::vector<Value>& flat);

/// Writes the results of imports at the guest's `retptr`, allocating strings/lists as needed.
/// Layouts: docs/abi-signatures.md. The retptr is checked again after every allocation.
Result<void> lower_send_result(GuestAllocator& alloc, std::uint32_t retptr,
                               const tl::expected<void, SendError>& result);
Result<void> lower_request_result(GuestAllocator& alloc, std::uint32_t retptr,
                                  const tl::expected<std::uint64_t, SendError>& result);
Result<void> lower_string_at(GuestAllocator& alloc, std::uint32_t retptr, std::string_view text);
Result<void> lower_bytes_at(GuestAllocator& alloc, std::uint32_t retptr, std::span<const std::uint8_t> data);
Result<void> lower_storage_get(GuestAllocator& alloc, std::uint32_t retptr,
                               const tl::expected<std::optional<Bytes>, StorageError>& result);
Result<void> lower_storage_unit(GuestAllocator& alloc, std::uint32_t retptr,
                                const tl::expected<void, StorageError>& result);
Result<void> lower_storage_bool(GuestAllocator& alloc, std::uint32_t retptr,
                                const tl::expected<bool, StorageError>& result);
Result<void> lower_storage_keys(GuestAllocator& alloc, std::uint32_t retptr,
                                const tl::expected<std::vector<std::string>, StorageError>& result);
Result<void> lower_storage_usage(GuestAllocator& alloc, std::uint32_t retptr,
                                 const tl::expected<Usage, StorageError>& result);

/// Return-area sizes and alignments of the imports (docs/abi-signatures.md).
inline constexpr std::uint32_t kSendResultSize = 24, kSendResultAlign = 8;
inline constexpr std::uint32_t kStringRetSize = 8, kStringRetAlign = 4;
inline constexpr std::uint32_t kStorageResultSize = 16, kStorageResultAlign = 4;
inline constexpr std::uint32_t kUsageResultSize = 32, kUsageResultAlign = 8;

}  // namespace airssys::wasm::abi
