// libFuzzer target: lifting guest memory must never crash, whatever the memory and flat arguments.
// Input layout: byte 0 selects what to lift, the next 12 * 8 bytes are flat values (as i32 or i64
// per the record's core signature), the rest is the guest memory. Whatever lifts successfully is
// lowered again into a fresh memory and must lift back to the same value (round trip).
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <vector>

#include <airssys/wasm/abi/lift.hpp>

#include "../tests/vector_allocator.hpp"

using namespace airssys::wasm;
using namespace airssys::wasm::abi;

namespace {

constexpr std::size_t kHeader = 1 + 12 * 8;

std::vector<Value> flat_values(const std::uint8_t* p, std::size_t n, std::size_t i64_at = SIZE_MAX,
                               std::size_t i64_at2 = SIZE_MAX) {
  std::vector<Value> v;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t x;
    std::memcpy(&x, p + 8 * i, 8);
    v.push_back(i == i64_at || i == i64_at2 ? Value::i64(x) : Value::i32(static_cast<std::uint32_t>(x)));
  }
  return v;
}

template <class T, class Lower, class Lift>
void round_trip(const T& value, Lower lower, Lift lift) {
  testing::VectorAllocator alloc(256);
  std::vector<Value> flat;
  if (!lower(alloc, value, flat)) std::abort();
  auto back = lift(alloc.memory(), flat);
  if (!back || !(*back == value)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kHeader) return 0;
  std::vector<std::uint8_t> raw(data + kHeader, data + size);
  GuestMemory memory{std::span<std::uint8_t>(raw)};
  const std::uint8_t* args = data + 1;
  switch (data[0] % 7) {
    case 0:
      if (auto m = lift_message(memory, flat_values(args, kFlatMessage, 8)))
        round_trip(*m, lower_message, lift_message);
      break;
    case 1:
      if (auto r = lift_response(memory, flat_values(args, kFlatResponse, 0)))
        round_trip(*r, lower_response, lift_response);
      break;
    case 2:
      if (auto c = lift_config(memory, flat_values(args, kFlatConfig)))
        round_trip(*c, lower_config, lift_config);
      break;
    case 3: {
      std::uint32_t retptr;
      std::memcpy(&retptr, args, 4);
      (void)lift_init_result(memory, retptr % (raw.size() + 32));
      (void)lift_handle_message_result(memory, retptr);
      (void)lift_handle_message_result(memory, retptr % (raw.size() + 32));
      break;
    }
    case 4: {
      std::uint32_t ptr, len;
      std::memcpy(&ptr, args, 4);
      std::memcpy(&len, args + 4, 4);
      (void)memory.string(ptr % (raw.size() + 1), len % (raw.size() + 2), "fuzz");
      (void)memory.string(ptr, len, "fuzz");
      (void)lift_option_string(memory, args[8] % 3, ptr % (raw.size() + 1), len, "fuzz");
      (void)memory.load<std::uint64_t>(ptr % (raw.size() + 8), "fuzz");
      break;
    }
    case 5:
      // Whole memory as one string: exercises the UTF-8 validator on arbitrary bytes.
      (void)valid_utf8(std::span<const std::uint8_t>(raw));
      break;
    case 6: {
      // Lowering import results at a random retptr into the fuzzed memory must not overflow it.
      testing::VectorAllocator alloc(0, 0);
      alloc.mem = raw;
      alloc.next = raw.size();
      std::uint32_t retptr;
      std::memcpy(&retptr, args, 4);
      retptr %= static_cast<std::uint32_t>(raw.size() + 40);
      (void)lower_send_result(alloc, retptr, tl::unexpected(SendError{SendError::Kind::denied, "no"}));
      (void)lower_storage_keys(alloc, retptr, std::vector<std::string>{"a", "bc"});
      (void)lower_storage_usage(alloc, retptr, Usage{1, 2, 3});
      break;
    }
  }
  return 0;
}
