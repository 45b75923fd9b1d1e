// Every well-behaved guest component, loaded through the engine and the ABI layer, called with
// real arguments; results checked byte for byte against a recording TestHost.
#include <atomic>
#include <thread>

#include "component_fixture.hpp"

using namespace airssys;
using namespace airssys::wasm;
using namespace airssys::wasm::abi;
using namespace airssys::wasm::abi::testing;

namespace {

TEST_F(ComponentTest, EchoReturnsThePayloadByteForByte) {
  auto echo = start("echo");
  ASSERT_TRUE(echo);
  ASSERT_EQ(host.logs.size(), 1u);  // init logs its address
  EXPECT_EQ(host.logs[0].second, "test/echo");
  for (std::size_t size : {0, 1, 7, 1024, 65536, 1 << 20}) {
    Message m = msg("");
    m.payload.resize(size);
    for (std::size_t i = 0; i < size; ++i) m.payload[i] = static_cast<std::uint8_t>(i * 31 + size);
    m.codec = "raw";
    m.correlation = 5;
    m.topic = "t";
    auto r = echo->handle_message(m);
    ASSERT_TRUE(r && *r && **r) << size << ": " << answer(r);
    EXPECT_EQ(***r, m.payload) << size;
  }
  EXPECT_EQ(*echo->health(), Health::healthy);
  ASSERT_TRUE(echo->shutdown());
  EXPECT_EQ(host.logs.back().first, LogLevel::debug);
}

TEST_F(ComponentTest, EchoFreesWhatItIsGiven) {
  // Arguments and replies live in the SDK's call arena; a 4 KiB payload does not fit its static
  // block, so each call spills to the heap and must give it back: memory stops growing after a
  // warm-up.
  auto echo = start("echo");
  ASSERT_TRUE(echo);
  Message m = msg(std::string(4096, 'x'));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(echo->handle_message(m));
  auto warm = echo->instance().memory().size();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(answer(echo->handle_message(m)), std::string(4096, 'x'));
  EXPECT_EQ(echo->instance().memory().size(), warm);
}

TEST_F(ComponentTest, ArgumentsThatFitGoToTheArgumentArea) {
  // The SDK exports airssys-arg-area: a message's strings land there, not in cabi_realloc blocks;
  // a payload larger than the area still arrives whole (through cabi_realloc).
  auto echo = start("echo");
  ASSERT_TRUE(echo);
  ASSERT_TRUE(echo->exports().arg_area);
  auto desc = echo->instance().call("airssys-arg-area", {});
  ASSERT_TRUE(desc);
  GuestMemory memory(echo->instance().memory());
  std::uint32_t base = *memory.load<std::uint32_t>((*desc)[0].u32, "base");
  std::uint32_t size = *memory.load<std::uint32_t>((*desc)[0].u32 + 4, "size");
  ASSERT_GE(size, 1024u);
  Message m = msg("payload-in-the-area");
  m.from = "test/a-sender-with-a-recognisable-name";
  ASSERT_EQ(answer(echo->handle_message(m)), "payload-in-the-area");
  auto area = GuestMemory(echo->instance().memory()).bytes(base, size, "area");
  ASSERT_TRUE(area);
  std::string_view text(reinterpret_cast<const char*>(area->data()), area->size());
  EXPECT_NE(text.find("test/a-sender-with-a-recognisable-name"), std::string_view::npos);
  EXPECT_NE(text.find("payload-in-the-area"), std::string_view::npos);
  Message big = msg(std::string(3 * size, 'b'));
  EXPECT_EQ(answer(echo->handle_message(big)), std::string(3 * size, 'b'));
}

TEST_F(ComponentTest, EchoInCppUsesTheWrapper) {
  auto echo = start("echo_cpp");
  ASSERT_TRUE(echo);
  EXPECT_EQ(answer(echo->handle_message(msg("abc"))), "abc");
  EXPECT_EQ(answer(echo->handle_message(msg("whoami"))), "test/self");
  EXPECT_EQ(answer(echo->handle_message(msg("abc"))), "abc");  // state survived: ctors ran once
  EXPECT_TRUE(echo->exports().arg_area);
}

#if AIRSSYS_GUEST_HAVE_ASSEMBLYSCRIPT
TEST_F(ComponentTest, EchoInAssemblyScript) {
  // The same contract from another language and another allocator (AssemblyScript's TLSF).
  auto echo = start("echo_as");
  ASSERT_TRUE(echo);
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0], std::make_pair(LogLevel::info, std::string("test/echo_as")));
  for (std::size_t size : {0, 3, 1024, 100000}) {
    Message m = msg(std::string(size, 'a'));
    for (std::size_t i = 0; i < size; ++i) m.payload[i] = static_cast<std::uint8_t>(i ^ size);
    m.codec = "raw";
    m.topic = "x";
    auto r = echo->handle_message(m);
    ASSERT_TRUE(r && *r && **r) << size << ": " << answer(r);
    EXPECT_EQ(***r, m.payload);
  }
  EXPECT_EQ(answer(echo->handle_message(msg("whoami"))), "test/self");
  ASSERT_TRUE(echo->handle_response(Response{1, "a/b", bytes("ok")}));
  ASSERT_TRUE(echo->handle_response(Response{2, "a/b", tl::unexpected(RequestError{RequestError::Kind::denied, "no"})}));
  auto warm = echo->instance().memory().size();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(answer(echo->handle_message(msg("steady"))), "steady");
  EXPECT_EQ(echo->instance().memory().size(), warm);
  EXPECT_EQ(*echo->health(), Health::healthy);
  EXPECT_TRUE(echo->shutdown());
}
#endif

TEST_F(ComponentTest, CounterKeepsStateAcrossMessages) {
  auto counter = start("counter", Config{"", {{"start", "5"}}, {}});
  ASSERT_TRUE(counter);
  EXPECT_EQ(answer(counter->handle_message(msg("x"))), "6");
  EXPECT_EQ(answer(counter->handle_message(msg("x"))), "7");
  EXPECT_EQ(answer(counter->handle_message(msg("add 10"))), "17");
  EXPECT_EQ(answer(counter->handle_message(msg("get"))), "17");
  EXPECT_EQ(*counter->health(), Health::healthy);
  EXPECT_EQ(answer(counter->handle_message(msg("add 1000000"))), "1000017");
  EXPECT_EQ(*counter->health(), Health::degraded);
}

TEST_F(ComponentTest, CounterInitCanFail) {
  auto module = load_guest("counter");
  auto comp = ComponentInstance::create(*module, host);
  ASSERT_TRUE(comp);
  auto init = (*comp)->init(Config{"test/counter", {}, bytes("xyz")});
  ASSERT_TRUE(init);
  ASSERT_FALSE(*init);
  EXPECT_EQ(init->error(), "counter: refused data");
}

TEST_F(ComponentTest, RequesterRequestsAndHandlesTheResponse) {
  auto req = start("requester");
  ASSERT_TRUE(req);
  EXPECT_EQ(answer(req->handle_message(msg("go test/echo"))), "42");
  ASSERT_EQ(host.requests.size(), 1u);
  EXPECT_EQ(host.requests[0].to, "test/echo");
  EXPECT_EQ(text(host.requests[0].payload), "ping");
  EXPECT_EQ(host.requests[0].timeout_ms, 500u);
  EXPECT_EQ(answer(req->handle_message(msg("last"))), "none");

  ASSERT_TRUE(req->handle_response(Response{42, "test/echo", bytes("pong")}));
  EXPECT_EQ(answer(req->handle_message(msg("last"))), "pong");

  ASSERT_TRUE(req->handle_response(
      Response{43, "test/echo", tl::unexpected(RequestError{RequestError::Kind::target_failed, "boom"})}));
  EXPECT_EQ(answer(req->handle_message(msg("last"))), "error:4:boom");
  ASSERT_TRUE(req->handle_response(Response{44, "test/echo", tl::unexpected(RequestError{RequestError::Kind::timeout, {}})}));
  EXPECT_EQ(answer(req->handle_message(msg("last"))), "error:0:");

  EXPECT_EQ(answer(req->handle_message(msg("cancel 42"))), "cancelled");
  EXPECT_EQ(host.cancelled, std::vector<std::uint64_t>{42});
  EXPECT_EQ(answer(req->handle_message(msg("cancel 99"))), "not pending");

  host.send_failure = SendError{SendError::Kind::target_not_found, "nobody/home"};
  EXPECT_EQ(answer(req->handle_message(msg("go nobody/home"))), "err: request: target-not-found");
}

TEST_F(ComponentTest, RequesterSeesEveryRequestErrorCase) {
  auto req = start("requester");
  ASSERT_TRUE(req);
  using K = RequestError::Kind;
  const std::pair<RequestError, std::string> cases[] = {
      {{K::timeout, {}}, "error:0:"},
      {{K::cancelled, {}}, "error:1:"},
      {{K::denied, "not allowed"}, "error:2:not allowed"},
      {{K::target_not_found, "app/gone"}, "error:3:app/gone"},
      {{K::target_failed, "crashed \xe2\x9c\x9d"}, "error:4:crashed \xe2\x9c\x9d"},  // UTF-8 passes through
      {{K::queue_full, {}}, "error:5:"},
  };
  std::uint64_t id = 100;
  for (const auto& [error, expected] : cases) {
    ASSERT_TRUE(req->handle_response(Response{id++, "app/x", tl::unexpected(error)}));
    EXPECT_EQ(answer(req->handle_message(msg("last"))), expected);
  }
  // An empty ok payload is still some([]).
  ASSERT_TRUE(req->handle_response(Response{id, "app/x", Bytes{}}));
  EXPECT_EQ(answer(req->handle_message(msg("last"))), "");
}

TEST_F(ComponentTest, ManyInstancesOfOneModuleAreIsolated) {
  auto a = start("counter");
  auto b = start("counter", Config{"", {{"start", "100"}}, {}});
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->handle_message(msg("x")));
  EXPECT_EQ(answer(a->handle_message(msg("get"))), "5");
  EXPECT_EQ(answer(b->handle_message(msg("get"))), "100");
}

TEST_F(ComponentTest, InstancesOnSeveralThreads) {
  // Each thread drives its own instance (the actor model); the Engine, the module and
  // default_imports() are shared. Nothing in the ABI layer is shared mutable state.
  constexpr int kThreads = 4, kMessages = 200;
  auto module = load_guest("echo_cpp");
  ASSERT_TRUE(module);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestHost own;  // a Host per instance: TestHost itself is not thread-safe
      own.self = "test/t" + std::to_string(t);
      auto comp = ComponentInstance::create(*module, own, {}, own.self);
      if (!comp || !(*comp)->init(Config{own.self, {}, {}})) return;
      for (int i = 0; i < kMessages; ++i) {
        std::string payload = own.self + "#" + std::to_string(i);
        if (answer((*comp)->handle_message(msg(payload))) == payload &&
            answer((*comp)->handle_message(msg("whoami"))) == own.self)
          ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kMessages);
}

TEST_F(ComponentTest, PublisherPublishes) {
  auto pub = start("publisher", Config{"", {{"topic", "news/eu"}}, {}});
  ASSERT_TRUE(pub);
  EXPECT_EQ(answer(pub->handle_message(msg("hello"))), "published");
  ASSERT_EQ(host.published.size(), 1u);
  EXPECT_EQ(host.published[0].first, "news/eu");
  EXPECT_EQ(text(host.published[0].second), "hello");
  host.send_failure = SendError{SendError::Kind::denied, "no publishing for you"};
  EXPECT_EQ(answer(pub->handle_message(msg("again"))), "err: no publishing for you");
  host.send_failure = SendError{SendError::Kind::too_large, {}, 10};
  EXPECT_EQ(answer(pub->handle_message(msg("again"))), "err: publish failed");
}

TEST_F(ComponentTest, SubscriberSubscribesAndReceives) {
  auto sub = start("subscriber", Config{"", {{"topics", "a,b/c"}}, {}});
  ASSERT_TRUE(sub);
  EXPECT_EQ(host.subscriptions, (std::set<std::string>{"a", "b/c"}));
  Message m = msg("hi");
  m.topic = "a";
  EXPECT_EQ(answer(sub->handle_message(m)), "a:hi");
  EXPECT_EQ(answer(sub->handle_message(msg("count"))), "1");
  EXPECT_EQ(answer(sub->handle_message(msg("leave a"))), "none");
  EXPECT_EQ(host.subscriptions, (std::set<std::string>{"b/c"}));
  ASSERT_TRUE(sub->shutdown());
  EXPECT_TRUE(host.subscriptions.empty());
}

TEST_F(ComponentTest, SubscriberInitFailsWhenRefused) {
  host.send_failure = SendError{SendError::Kind::denied, "no"};
  auto comp = ComponentInstance::create(*load_guest("subscriber"), host);
  ASSERT_TRUE(comp);
  auto init = (*comp)->init(Config{"test/sub", {{"topics", "a"}}, {}});
  ASSERT_TRUE(init);
  EXPECT_EQ(init->error(), "subscriber: subscribe refused");
  auto init2 = (*comp)->init(Config{"test/sub", {}, {}});
  EXPECT_EQ(init2->error(), "subscriber: setting 'topics' missing or too long");
}

TEST_F(ComponentTest, TimerUsesServices) {
  auto timer = start("timer");
  ASSERT_TRUE(timer);
  EXPECT_EQ(answer(timer->handle_message(msg("start 250"))), "1");
  ASSERT_EQ(host.timers.size(), 1u);
  EXPECT_EQ(host.timers[1].delay_ms, 250u);
  EXPECT_EQ(text(host.timers[1].payload), "tick");

  Message fired = msg("tick");  // what the component layer will deliver when it fires
  fired.codec = "airssys/timer";
  EXPECT_EQ(answer(timer->handle_message(fired)), "fired:tick");
  EXPECT_EQ(answer(timer->handle_message(msg("fired"))), "1");
  EXPECT_EQ(answer(timer->handle_message(msg("cancel 1"))), "cancelled");
  EXPECT_EQ(answer(timer->handle_message(msg("cancel 1"))), "not pending");

  EXPECT_EQ(answer(timer->handle_message(msg("now"))), std::to_string(host.unix_ms));
  auto before = host.monotonic_ns();
  auto mono = std::stoull(answer(timer->handle_message(msg("mono"))));
  EXPECT_GE(mono, before);
  EXPECT_EQ(answer(timer->handle_message(msg("rand 16"))), text(host.random_bytes(16)));
  EXPECT_EQ(answer(timer->handle_message(msg("rand 0"))), "");
  EXPECT_EQ(answer(timer->handle_message(msg("self"))), "test/self");
  EXPECT_EQ(answer(timer->handle_message(msg("log careful"))), "none");
  ASSERT_FALSE(host.logs.empty());
  EXPECT_EQ(host.logs.back(), std::make_pair(LogLevel::warn, std::string("careful")));
}

TEST_F(ComponentTest, StorageThroughAnInMemoryHost) {
  auto st = start("storage");
  ASSERT_TRUE(st);
  EXPECT_EQ(answer(st->handle_message(msg("set k1 v1"))), "ok");
  EXPECT_EQ(answer(st->handle_message(msg("set k2 value two"))), "ok");
  EXPECT_EQ(text(host.store["k2"]), "value two");
  EXPECT_EQ(answer(st->handle_message(msg("get k1"))), "v1");
  EXPECT_EQ(answer(st->handle_message(msg("get nope"))), "(none)");
  EXPECT_EQ(answer(st->handle_message(msg("set other x"))), "ok");
  EXPECT_EQ(answer(st->handle_message(msg("list k"))), "k1,k2");
  EXPECT_EQ(answer(st->handle_message(msg("list"))), "k1,k2,other");
  EXPECT_EQ(answer(st->handle_message(msg("usage"))), "21,3,1024");
  EXPECT_EQ(answer(st->handle_message(msg("del k1"))), "deleted");
  EXPECT_EQ(answer(st->handle_message(msg("del k1"))), "absent");
  EXPECT_EQ(answer(st->handle_message(msg("set big " + std::string(2000, 'z')))), "err: 1:");  // quota
  EXPECT_EQ(answer(st->handle_message(msg("set  v"))), "err: 2:empty key");
  host.storage_failure = StorageError{StorageError::Kind::io, "disk on fire"};
  for (const char* cmd : {"get k2", "set a b", "del a", "list", "usage"})
    EXPECT_EQ(answer(st->handle_message(msg(cmd))), "err: 3:disk on fire") << cmd;
}

TEST_F(ComponentTest, SdkSelfTestInsideWasm) {
  auto self = start("sdk_selftest");
  ASSERT_TRUE(self);
  for (const char* check : {"alloc", "realloc", "memmove", "text"})
    EXPECT_EQ(answer(self->handle_message(msg(check))), "ok") << check;
  EXPECT_EQ(answer(self->handle_message(msg("nope"))), "err: unknown check");
  EXPECT_EQ(answer(self->handle_message(msg("clear"))), "none");
}

TEST_F(ComponentTest, ReportsWhatItImports) {
  auto echo = start("echo");
  auto storage = start("storage");
  ASSERT_TRUE(echo && storage);
  EXPECT_EQ(echo->imports().interfaces, static_cast<Interfaces>(Interface::services));
  EXPECT_EQ(storage->imports().interfaces, static_cast<Interfaces>(Interface::storage));
  EXPECT_TRUE(storage->imports().foreign.empty());
  auto timer = inspect_imports(load_guest("timer")->info());
  EXPECT_EQ(timer.interfaces, Interface::messaging | Interface::services);  // self-address is messaging
}

}  // namespace
