// Lifting and lowering without an engine: memory checks, UTF-8, record round trips, and the
// byte layouts of import results (docs/abi-signatures.md), checked byte for byte.
#include <gtest/gtest.h>

#include <airssys/wasm/abi/lift.hpp>

#include "test_host.hpp"
#include "vector_allocator.hpp"

using namespace airssys;
using namespace airssys::wasm;
using namespace airssys::wasm::abi;
using airssys::wasm::abi::testing::bytes;
using airssys::wasm::abi::testing::VectorAllocator;

namespace {

std::span<const std::uint8_t> u8(std::initializer_list<std::uint8_t> l) { return {l.begin(), l.size()}; }

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(valid_utf8(u8({})));
  EXPECT_TRUE(valid_utf8(bytes("plain ascii, longer than eight bytes")));
  EXPECT_TRUE(valid_utf8(bytes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")));  // é € 😀
  EXPECT_TRUE(valid_utf8(u8({0xF4, 0x8F, 0xBF, 0xBF})));                      // U+10FFFF
  EXPECT_TRUE(valid_utf8(u8({0xED, 0x9F, 0xBF})));                            // U+D7FF
}

TEST(Utf8, RejectsMalformed) {
  EXPECT_FALSE(valid_utf8(u8({0xC0, 0xAF})));              // overlong '/'
  EXPECT_FALSE(valid_utf8(u8({0xE0, 0x80, 0xAF})));        // overlong
  EXPECT_FALSE(valid_utf8(u8({0xED, 0xA0, 0x80})));        // surrogate U+D800
  EXPECT_FALSE(valid_utf8(u8({0xF4, 0x90, 0x80, 0x80})));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8(u8({0xF8, 0x88, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(valid_utf8(u8({0x80})));              // lone continuation
  EXPECT_FALSE(valid_utf8(u8({'a', 'b', 0xE2, 0x82})));  // truncated at the end
  EXPECT_FALSE(valid_utf8(u8({0xC3, 0x28})));
}

TEST(GuestMemory, ChecksBoundsWithoutWrapping) {
  std::vector<std::uint8_t> raw(100);
  GuestMemory m(raw);
  EXPECT_TRUE(m.check(0, 100, 1, "x"));
  EXPECT_TRUE(m.check(100, 0, 1, "x"));
  EXPECT_EQ(m.check(100, 1, 1, "x").error().code, Errc::bad_pointer);
  EXPECT_EQ(m.check(0xFFFFFFFFu, 2, 1, "x").error().code, Errc::bad_pointer);  // would wrap in 32 bits
  EXPECT_EQ(m.check(101, 0, 1, "x").error().code, Errc::bad_pointer);
  EXPECT_EQ(m.check(2, 4, 4, "x").error().code, Errc::bad_alignment);
  EXPECT_EQ(m.bytes(50, 60, "x").error().code, Errc::bad_pointer);
  auto e = m.string(90, 20, "messaging.send: to").error();
  EXPECT_NE(e.context.find("messaging.send: to"), std::string::npos) << e.context;
}

TEST(GuestMemory, TypedLoadsAndStoresAreLittleEndianAndAligned) {
  std::vector<std::uint8_t> raw(16);
  GuestMemory m(raw);
  ASSERT_TRUE(m.store<std::uint32_t>(4, 0x11223344u, "x"));
  EXPECT_EQ(raw[4], 0x44);
  EXPECT_EQ(raw[7], 0x11);
  EXPECT_EQ(*m.load<std::uint32_t>(4, "x"), 0x11223344u);
  EXPECT_EQ(m.load<std::uint64_t>(4, "x").error().code, Errc::bad_alignment);
  EXPECT_EQ(m.load<std::uint64_t>(16, "x").error().code, Errc::bad_pointer);
  EXPECT_EQ(m.store<std::uint32_t>(14, 1, "x").error().code, Errc::bad_pointer);
}

TEST(GuestMemory, StringsAreValidated) {
  std::vector<std::uint8_t> raw = {'o', 'k', 0xC0, 0xAF};
  GuestMemory m(raw);
  EXPECT_EQ(*m.string(0, 2, "x"), "ok");
  EXPECT_EQ(m.string(0, 4, "x").error().code, Errc::bad_utf8);
}

Message full_message() {
  return Message{"app/sender", bytes("hello \x00 world"), std::string("json"), 77, std::string("news/eu")};
}

TEST(RoundTrip, Message) {
  for (const Message& m : {full_message(), Message{"a/b", {}, std::nullopt, std::nullopt, std::nullopt}}) {
    VectorAllocator alloc(64);  // tiny: forces the memory to grow (move) while lowering
    std::vector<Value> flat;
    ASSERT_TRUE(lower_message(alloc, m, flat));
    ASSERT_EQ(flat.size(), kFlatMessage);
    EXPECT_EQ(flat[8].type, ValType::i64);
    auto back = lift_message(alloc.memory(), flat);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, m);
  }
}

TEST(RoundTrip, Config) {
  Config c{"app/counter", {{"start", "5"}, {"mode", "fast"}, {"", ""}}, bytes("blob")};
  VectorAllocator alloc;
  std::vector<Value> flat;
  ASSERT_TRUE(lower_config(alloc, c, flat));
  ASSERT_EQ(flat.size(), kFlatConfig);
  auto back = lift_config(alloc.memory(), flat);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, c);
}

TEST(RoundTrip, Response) {
  std::vector<Response> cases;
  cases.push_back(Response{9, "app/echo", bytes("pong")});
  cases.push_back(Response{10, "app/echo", tl::unexpected(RequestError{RequestError::Kind::target_failed, "boom"})});
  cases.push_back(Response{11, "app/echo", tl::unexpected(RequestError{RequestError::Kind::timeout, {}})});
  for (const auto& r : cases) {
    VectorAllocator alloc;
    std::vector<Value> flat;
    ASSERT_TRUE(lower_response(alloc, r, flat));
    ASSERT_EQ(flat.size(), kFlatResponse);
    auto back = lift_response(alloc.memory(), flat);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, r);
  }
}

TEST(Lift, RejectsBadFlatValues) {
  VectorAllocator alloc;
  std::vector<Value> flat;
  ASSERT_TRUE(lower_message(alloc, full_message(), flat));
  auto bad = flat;
  bad[4] = Value::i32(2);  // codec option disc
  EXPECT_EQ(lift_message(alloc.memory(), bad).error().code, Errc::bad_discriminant);
  bad = flat;
  bad[3] = Value::i32(0x7FFFFFFF);  // payload length
  EXPECT_EQ(lift_message(alloc.memory(), bad).error().code, Errc::bad_pointer);
  bad = flat;
  alloc.mem[bad[0].u32] = 0xFF;  // first byte of `from`
  EXPECT_EQ(lift_message(alloc.memory(), bad).error().code, Errc::bad_utf8);
  EXPECT_EQ(lift_message(alloc.memory(), std::span(flat).first(3)).error().code, Errc::invalid_argument);

  std::vector<Value> resp = {Value::i64(1), Value::i32(0), Value::i32(0), Value::i32(1), Value::i32(6),
                             Value::i32(0), Value::i32(0)};
  EXPECT_EQ(lift_response(alloc.memory(), resp).error().code, Errc::bad_discriminant);  // request-error case 6
  resp[3] = Value::i32(2);
  EXPECT_EQ(lift_response(alloc.memory(), resp).error().code, Errc::bad_discriminant);  // result disc 2
}

TEST(Lift, ExportReturnAreas) {
  std::vector<std::uint8_t> raw(64);
  GuestMemory m(raw);
  // init: err("no") with the string at 40.
  raw[8] = 1;
  raw[12] = 40;
  raw[16] = 2;
  raw[40] = 'n';
  raw[41] = 'o';
  auto init = lift_init_result(m, 8);
  ASSERT_TRUE(init);
  EXPECT_EQ(init->error(), "no");
  EXPECT_EQ(lift_init_result(m, 6).error().code, Errc::bad_alignment);
  EXPECT_EQ(lift_init_result(m, 56).error().code, Errc::bad_pointer);
  // handle-message: ok(some([n, o])) at 20: disc @0, option @4, ptr @8, len @12.
  raw[20] = 0;
  raw[24] = 1;
  raw[28] = 40;
  raw[32] = 2;
  auto hm = lift_handle_message_result(m, 20);
  ASSERT_TRUE(hm && *hm && **hm);
  EXPECT_EQ(***hm, bytes("no"));
  raw[24] = 3;
  EXPECT_EQ(lift_handle_message_result(m, 20).error().code, Errc::bad_discriminant);
  raw[20] = 9;
  EXPECT_EQ(lift_handle_message_result(m, 20).error().code, Errc::bad_discriminant);
}

// The worked layouts of import results, byte for byte.
TEST(Lower, SendErrorLayout) {
  VectorAllocator alloc(256, 128);
  ASSERT_TRUE(lower_send_result(alloc, 8, tl::unexpected(SendError{SendError::Kind::target_not_found, "x/y"})));
  const auto& m = alloc.mem;
  EXPECT_EQ(m[8], 1);            // err
  EXPECT_EQ(m[16], 1);           // send-error case target-not-found, at +8
  EXPECT_EQ(m[24], 128);         // string ptr at +16
  EXPECT_EQ(m[28], 3);           // string len at +20
  EXPECT_EQ(std::string(m.begin() + 128, m.begin() + 131), "x/y");

  VectorAllocator big;
  ASSERT_TRUE(lower_send_result(big, 0, tl::unexpected(SendError{SendError::Kind::too_large, {}, 0x0102030405060708})));
  EXPECT_EQ(big.mem[8], 3);
  EXPECT_EQ(big.mem[16], 0x08);
  EXPECT_EQ(big.mem[23], 0x01);
  EXPECT_EQ(big.allocations, 0);

  VectorAllocator req;
  ASSERT_TRUE(lower_request_result(req, 0, 0xABCDu));
  EXPECT_EQ(req.mem[0], 0);
  EXPECT_EQ(req.mem[8], 0xCD);
  EXPECT_EQ(req.mem[9], 0xAB);
  EXPECT_EQ(lower_send_result(req, 4, {}).error().code, Errc::bad_alignment);
  EXPECT_EQ(lower_send_result(req, 0xFFFFFFF8u, {}).error().code, Errc::bad_pointer);
}

TEST(Lower, StorageLayouts) {
  VectorAllocator a(256, 128);
  ASSERT_TRUE(lower_storage_get(a, 0, std::optional<Bytes>(bytes("val"))));
  EXPECT_EQ(a.mem[0], 0);
  EXPECT_EQ(a.mem[4], 1);
  EXPECT_EQ(a.mem[8], 128);
  EXPECT_EQ(a.mem[12], 3);
  ASSERT_TRUE(lower_storage_get(a, 16, tl::unexpected(StorageError{StorageError::Kind::io, "disk"})));
  EXPECT_EQ(a.mem[16], 1);
  EXPECT_EQ(a.mem[20], 3);  // storage-error case io at +4
  EXPECT_EQ(a.mem[24], 131);
  EXPECT_EQ(a.mem[28], 4);

  VectorAllocator u;
  ASSERT_TRUE(lower_storage_usage(u, 0, Usage{1, 2, 3}));
  EXPECT_EQ(u.mem[8], 1);
  EXPECT_EQ(u.mem[16], 2);
  EXPECT_EQ(u.mem[24], 3);
  ASSERT_TRUE(lower_storage_usage(u, 32, tl::unexpected(StorageError{StorageError::Kind::quota_exceeded, {}})));
  EXPECT_EQ(u.mem[32], 1);
  EXPECT_EQ(u.mem[40], 1);  // storage-error at +8 in usage's result

  VectorAllocator k(256, 128);
  ASSERT_TRUE(lower_storage_keys(k, 0, std::vector<std::string>{"ab", "c"}));
  EXPECT_EQ(k.mem[0], 0);
  std::uint32_t list = k.mem[4], count = k.mem[8];
  EXPECT_EQ(count, 2u);
  GuestMemory m = k.memory();
  EXPECT_EQ(*m.string(*m.load<std::uint32_t>(list, "k"), *m.load<std::uint32_t>(list + 4, "k"), "k"), "ab");
  EXPECT_EQ(*m.string(*m.load<std::uint32_t>(list + 8, "k"), *m.load<std::uint32_t>(list + 12, "k"), "k"), "c");
}

TEST(Lower, RefusesGarbageFromTheGuestAllocator) {
  struct Liar : GuestAllocator {
    std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(64);
    std::uint32_t answer;
    Result<std::uint32_t> allocate(std::uint32_t align, std::uint32_t size) override {
      return check_allocation(memory(), answer, align, size);
    }
    GuestMemory memory() override { return GuestMemory(std::span<std::uint8_t>(mem)); }
  } liar;
  liar.answer = 0xFFFFFF00u;
  EXPECT_EQ(lower_string(liar, "abc").error().code, Errc::bad_pointer);
  liar.answer = 3;
  std::vector<Value> flat;
  EXPECT_EQ(lower_config(liar, Config{"a", {{"k", "v"}}, {}}, flat).error().code, Errc::bad_alignment);
}

}  // namespace
