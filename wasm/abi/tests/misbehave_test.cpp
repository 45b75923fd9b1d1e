// Misbehaving guests: each produces its typed error, and all of them run in this one process
// after which a well-behaved guest still works (the host survives).
#include <chrono>

#include "component_fixture.hpp"

using namespace airssys;
using namespace airssys::wasm;
using namespace airssys::wasm::abi;
using namespace airssys::wasm::abi::testing;

namespace {

class Misbehaving : public ComponentTest {
 protected:
  /// The error of handle_message(payload) on a fresh instance of `name`.
  Error error_of(const std::string& name, std::string_view payload, Limits limits = {}) {
    auto comp = start(name, {}, limits);
    if (!comp) return Error{Errc::invalid_argument, "could not start " + name};
    auto r = comp->handle_message(msg(payload));
    if (r) {
      ADD_FAILURE() << name << "(" << payload << ") returned " << answer(r);
      return Error{};
    }
    EXPECT_TRUE(comp->poisoned()) << name;
    auto again = comp->handle_message(msg("ok"));  // a poisoned instance is never run again
    EXPECT_FALSE(again);
    if (!again) EXPECT_EQ(again.error().code, Errc::poisoned);
    return r.error();
  }
};

TEST_F(Misbehaving, TrapFailsOnlyTheCall) {
  auto e = error_of("trap", "boom");
  EXPECT_EQ(e.code, Errc::trap) << e.message();
  EXPECT_NE(e.context.find("handle-message"), std::string::npos) << e.context;
  auto fresh = start("trap");
  EXPECT_EQ(answer(fresh->handle_message(msg("ok"))), "ok");
}

TEST_F(Misbehaving, InfiniteLoopRunsOutOfFuel) {
  Limits limits;
  limits.fuel_per_call = 2'000'000;
  auto e = error_of("loop", "spin", limits);
  EXPECT_EQ(e.code, Errc::fuel_exhausted) << e.message();
}

TEST_F(Misbehaving, InfiniteLoopHitsTheDeadline) {
  Limits limits;
  limits.deadline_ms = 50;
  auto t0 = std::chrono::steady_clock::now();
  auto e = error_of("loop", "spin", limits);
  EXPECT_EQ(e.code, Errc::deadline_exceeded) << e.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(Misbehaving, MemoryBombIsRefused) {
  Limits limits;
  limits.max_memory_bytes = 4u << 20;
  for (const char* how : {"grow", "alloc"}) {
    auto bomb = start("membomb", {}, limits);
    ASSERT_TRUE(bomb);
    auto r = bomb->handle_message(msg(how));
    // The engine refuses memory.grow past the limit (it returns -1, as for a declared max); the
    // guest sees it and answers an error. An engine may instead stop it with memory_limit.
    if (r) {
      ASSERT_FALSE(*r) << how << ": " << answer(r);
      EXPECT_TRUE(r->error().starts_with("refused after ")) << r->error();
    } else {
      EXPECT_EQ(r.error().code, Errc::memory_limit) << r.error().message();
    }
    EXPECT_LE(bomb->instance().memory().size(), limits.max_memory_bytes) << how;
  }
}

TEST_F(Misbehaving, DeepRecursionExhaustsTheStack) {
  auto e = error_of("recursion", "dive");
  EXPECT_EQ(e.code, Errc::stack_exhausted) << e.message();
}

TEST_F(Misbehaving, SlowResponderAnswersOrHitsTheDeadline) {
  auto slow = start("slow");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(answer(slow->handle_message(msg("30"))), "done");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));

  Limits limits;
  limits.deadline_ms = 40;
  auto e = error_of("slow", "2000", limits);
  EXPECT_EQ(e.code, Errc::deadline_exceeded) << e.message();
}

struct Abuse {
  const char* payload;
  Errc expected;
};

TEST_F(Misbehaving, GarbageHandedToImportsIsATypedError) {
  const Abuse abuses[] = {
      {"send-oob", Errc::bad_pointer},         {"send-overflow", Errc::bad_pointer},
      {"payload-oob", Errc::bad_pointer},      {"retptr-oob", Errc::bad_pointer},
      {"retptr-misaligned", Errc::bad_alignment}, {"log-utf8", Errc::bad_utf8},
      {"log-level", Errc::bad_discriminant},   {"codec-disc", Errc::bad_discriminant},
      {"storage-key-oob", Errc::bad_pointer},
  };
  for (const auto& abuse : abuses) {
    int calls = host.calls;
    auto e = error_of("badptr", abuse.payload);
    EXPECT_EQ(e.code, abuse.expected) << abuse.payload << ": " << e.message();
    EXPECT_EQ(host.calls, calls) << abuse.payload << ": the Host must not run on garbage";
  }
  EXPECT_TRUE(host.sent.empty());
}

TEST_F(Misbehaving, TheHostSurvivesAllOfThem) {
  // Run every failure once more back to back, then a well-behaved guest.
  Limits tight;
  tight.fuel_per_call = 1'000'000;
  tight.deadline_ms = 200;
  tight.max_memory_bytes = 2u << 20;
  for (const char* name : {"trap", "loop", "recursion", "badptr", "membomb"}) {
    auto comp = start(name, {}, tight);
    ASSERT_TRUE(comp) << name;
    (void)comp->handle_message(msg("send-oob"));
  }
  auto echo = start("echo");
  EXPECT_EQ(answer(echo->handle_message(msg("still here"))), "still here");
}

}  // namespace
