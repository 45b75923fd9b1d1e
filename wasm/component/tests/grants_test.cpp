#include <airssys/wasm/grants.hpp>

#include <airssys/rt/broker.hpp>
#include <gtest/gtest.h>

namespace airssys::wasm {
namespace {

TEST(Grants, DenyByDefault) {
  const Grants g;
  EXPECT_FALSE(g.allows_send("a/b"));
  EXPECT_FALSE(g.allows_request("a/b"));
  EXPECT_FALSE(g.allows_publish("orders.created"));
  EXPECT_FALSE(g.allows_subscribe("orders.created"));
  EXPECT_FALSE(g.allows_storage());
  EXPECT_EQ(g.allows_send("a/b").reason, "send to 'a/b' denied: no send grant");
  EXPECT_EQ(g.allows_storage().reason, "storage denied: not granted");
  EXPECT_TRUE(g.validate());
}

TEST(Grants, AddressPatterns) {
  EXPECT_TRUE(address_matches("*", "orders/checkout"));
  EXPECT_TRUE(address_matches("*", "x"));
  EXPECT_FALSE(address_matches("*", ""));
  EXPECT_TRUE(address_matches("orders/*", "orders/checkout"));
  EXPECT_FALSE(address_matches("orders/*", "orders"));
  EXPECT_FALSE(address_matches("orders/*", "orders/"));
  EXPECT_FALSE(address_matches("orders/*", "orders/a/b"));
  EXPECT_FALSE(address_matches("orders/*", "billing/invoice"));
  EXPECT_FALSE(address_matches("orders/*", "orders.x/y"));
  EXPECT_TRUE(address_matches("billing/invoice", "billing/invoice"));
  EXPECT_FALSE(address_matches("billing/invoice", "billing/invoice2"));
  EXPECT_FALSE(address_matches("billing/invoice", "billing/invoic"));
  // '.' is literal in addresses.
  EXPECT_TRUE(address_matches("billing/invoice.v2", "billing/invoice.v2"));
  EXPECT_FALSE(address_matches("billing/*", "billing.x"));
  EXPECT_TRUE(address_matches("*/invoice", "billing/invoice"));
  EXPECT_TRUE(address_matches("orders/#", "orders/a/b"));
  EXPECT_TRUE(address_matches("orders/#", "orders/a"));
  EXPECT_FALSE(address_matches("orders/#", "ordersx/a"));
  EXPECT_TRUE(address_matches("#", "any/thing"));
  // Malformed patterns match nothing.
  EXPECT_FALSE(address_matches("orders/x*", "orders/xy"));
  EXPECT_FALSE(address_matches("#/a", "b/a"));
  EXPECT_FALSE(address_matches("", ""));
  EXPECT_FALSE(address_matches("a//b", "a//b"));
  EXPECT_TRUE(valid_address_pattern("orders/*"));
  EXPECT_FALSE(valid_address_pattern("orders/x*"));
  EXPECT_FALSE(valid_address_pattern(""));
}

TEST(Grants, SendAndRequestAreSeparate) {
  Grants g;
  g.send = {"orders/*", "billing/invoice"};
  g.request = {"db/*"};
  EXPECT_TRUE(g.allows_send("orders/checkout"));
  EXPECT_EQ(g.allows_send("orders/checkout").reason, "send granted by 'orders/*'");
  EXPECT_TRUE(g.allows_send("billing/invoice"));
  EXPECT_FALSE(g.allows_send("billing/refund"));
  EXPECT_EQ(g.allows_send("billing/refund").reason, "send to 'billing/refund' denied: no send grant matches it");
  EXPECT_FALSE(g.allows_send("db/main"));
  EXPECT_TRUE(g.allows_request("db/main"));
  EXPECT_FALSE(g.allows_request("orders/checkout"));
}

TEST(Grants, TopicMatchingIsTheBrokers) {
  const char* patterns[] = {"a.b", "a.*", "a.#", "#", "*", "a/*/c", "a.*.#", "*.b"};
  const char* topics[] = {"a", "a.b", "a/b", "a.b.c", "a/x/c", "b", "x.b", "a.c.d.e"};
  Grants g;
  for (auto p : patterns) {
    g.publish = {p};
    for (auto t : topics) EXPECT_EQ(bool(g.allows_publish(t)), rt::MessageBroker::matches(p, t)) << p << " " << t;
  }
}

TEST(Grants, Publish) {
  Grants g;
  g.publish = {"orders.#", "metrics/*"};
  EXPECT_TRUE(g.allows_publish("orders.created"));
  EXPECT_TRUE(g.allows_publish("orders/created/eu"));
  EXPECT_TRUE(g.allows_publish("orders"));
  EXPECT_TRUE(g.allows_publish("metrics.cpu"));
  EXPECT_FALSE(g.allows_publish("metrics.cpu.user"));
  EXPECT_FALSE(g.allows_publish("billing.paid"));
  // A published topic must be concrete.
  EXPECT_FALSE(g.allows_publish("orders.*"));
  EXPECT_FALSE(g.allows_publish("orders.#"));
  EXPECT_FALSE(g.allows_publish("orders..x"));
  EXPECT_FALSE(g.allows_publish(""));
  EXPECT_NE(g.allows_publish("orders.*").reason.find("not a concrete topic"), std::string::npos);
}

TEST(Grants, CoverRule) {
  EXPECT_TRUE(topic_pattern_covers("#", "a.b.#"));
  EXPECT_TRUE(topic_pattern_covers("#", "*"));
  EXPECT_TRUE(topic_pattern_covers("a.#", "a"));
  EXPECT_TRUE(topic_pattern_covers("a.#", "a.*.c"));
  EXPECT_TRUE(topic_pattern_covers("a.#", "a.#"));
  EXPECT_TRUE(topic_pattern_covers("a.#", "a.b.#"));
  EXPECT_TRUE(topic_pattern_covers("a.*", "a.b"));
  EXPECT_TRUE(topic_pattern_covers("a.*", "a.*"));
  EXPECT_TRUE(topic_pattern_covers("a/*", "a.*"));  // separators are equivalent
  EXPECT_TRUE(topic_pattern_covers("*.b", "a.b"));
  EXPECT_TRUE(topic_pattern_covers("a.b", "a.b"));
  EXPECT_FALSE(topic_pattern_covers("a.*", "a.#"));  // a.# matches a and a.b.c
  EXPECT_FALSE(topic_pattern_covers("a.*", "a"));
  EXPECT_FALSE(topic_pattern_covers("a.b", "a.*"));
  EXPECT_FALSE(topic_pattern_covers("a.b", "*.b"));
  EXPECT_FALSE(topic_pattern_covers("a.b.#", "a.#"));  // a.# matches a
  EXPECT_FALSE(topic_pattern_covers("a.*.#", "a.#"));  // a.# matches a, a.*.# needs a.x
  EXPECT_FALSE(topic_pattern_covers("*", "#"));
  EXPECT_FALSE(topic_pattern_covers("a", "a.#"));
  EXPECT_FALSE(topic_pattern_covers("a.#", "b"));
  EXPECT_FALSE(topic_pattern_covers("a..b", "a..b"));  // malformed
  EXPECT_FALSE(topic_pattern_covers("a.#", "a.#.b"));  // malformed
}

// The cover rule agrees with matching on every topic over a small alphabet: if G covers R then
// every topic R matches, G matches; if not, some topic shows it.
TEST(Grants, CoverRuleAgreesWithMatching) {
  const std::vector<std::string> pats = {"a",   "b",     "*",     "#",     "a.b",   "a.*",   "*.b",   "*.*", "a.#",
                                         "*.#", "a.b.#", "a.*.#", "*.*.#", "a.b.c", "*.b.*", "a.*.c", "b.#"};
  std::vector<std::string> topics;
  const char* alpha[] = {"a", "b", "c"};
  for (auto x : alpha) {
    topics.push_back(x);
    for (auto y : alpha) {
      topics.push_back(std::string(x) + "." + y);
      for (auto z : alpha) {
        topics.push_back(std::string(x) + "." + y + "." + z);
        for (auto w : alpha) topics.push_back(std::string(x) + "." + y + "." + z + "." + w);
      }
    }
  }
  for (const auto& g : pats)
    for (const auto& r : pats) {
      bool all = true;
      for (const auto& t : topics)
        if (rt::MessageBroker::matches(r, t) && !rt::MessageBroker::matches(g, t)) all = false;
      EXPECT_EQ(topic_pattern_covers(g, r), all) << "grant " << g << " request " << r;
    }
}

TEST(Grants, Subscribe) {
  Grants g;
  g.subscribe = {"orders.#", "metrics.*"};
  EXPECT_TRUE(g.allows_subscribe("orders.created"));
  EXPECT_TRUE(g.allows_subscribe("orders.*"));
  EXPECT_TRUE(g.allows_subscribe("orders.#"));
  EXPECT_EQ(g.allows_subscribe("orders.*").reason, "subscribe granted by 'orders.#'");
  EXPECT_TRUE(g.allows_subscribe("metrics.cpu"));
  EXPECT_TRUE(g.allows_subscribe("metrics.*"));
  EXPECT_FALSE(g.allows_subscribe("metrics.#"));
  EXPECT_FALSE(g.allows_subscribe("#"));
  EXPECT_FALSE(g.allows_subscribe("*.created"));
  EXPECT_EQ(g.allows_subscribe("#").reason,
            "subscribe to '#' denied: no subscribe grant covers every topic it matches");
  EXPECT_FALSE(g.allows_subscribe("orders.#.x"));
  EXPECT_EQ(g.allows_subscribe("orders.#.x").reason, "subscribe to 'orders.#.x' denied: malformed topic pattern");
  // Publish and subscribe grants are separate.
  EXPECT_FALSE(g.allows_publish("orders.created"));
}

TEST(Grants, Storage) {
  Grants g;
  g.storage.enabled = true;
  EXPECT_TRUE(g.allows_storage());
  EXPECT_EQ(g.storage.quota_bytes, kDefaultStorageQuotaBytes);
}

TEST(Grants, MissingInterfaces) {
  const std::vector<std::string> all = {"messaging", "services", "storage"};
  Grants none;
  EXPECT_EQ(none.missing_interfaces(all), (std::vector<std::string>{"messaging", "storage"}));
  EXPECT_TRUE(none.missing_interfaces(std::vector<std::string>{"services"}).empty());
  EXPECT_TRUE(none.missing_interfaces(std::vector<std::string>{}).empty());

  // Any one messaging grant admits the messaging import.
  for (int which = 0; which < 4; ++which) {
    Grants g;
    (which == 0 ? g.send : which == 1 ? g.request : which == 2 ? g.publish : g.subscribe) = {"x"};
    EXPECT_EQ(g.missing_interfaces(all), std::vector<std::string>{"storage"}) << which;
  }
  Grants s;
  s.storage.enabled = true;
  EXPECT_EQ(s.missing_interfaces(all), std::vector<std::string>{"messaging"});
  EXPECT_TRUE(Grants::all().missing_interfaces(all).empty());

  // Module names and function names work too; each interface reported once; unknown ones refused.
  const std::vector<std::string> names = {
      "airssys:component/messaging@0.1.0", "messaging.send", "messaging.publish",
      "airssys:component/services@0.1.0",  "services.log",   "wasi_snapshot_preview1"};
  EXPECT_EQ(none.missing_interfaces(names), (std::vector<std::string>{"messaging", "wasi_snapshot_preview1"}));
  EXPECT_EQ(Grants::all().missing_interfaces(names), std::vector<std::string>{"wasi_snapshot_preview1"});
}

TEST(Grants, CheckImports) {
  const std::vector<std::string> all = {"messaging", "services", "storage"};
  EXPECT_TRUE(Grants::all().check_imports(all));
  auto r = Grants{}.check_imports(all);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_EQ(r.error().context,
            "the module imports 'messaging' but has no send, request, publish or subscribe grant; and 'storage' but "
            "storage is not granted");
}

TEST(Grants, Validate) {
  Grants g = Grants::all();
  EXPECT_TRUE(g.validate());
  g.send.push_back("a/b*");
  auto r = g.validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_config);
  EXPECT_EQ(r.error().context, "malformed address pattern 'a/b*'");
  g = Grants::all();
  g.subscribe.push_back("a.#.b");
  EXPECT_FALSE(g.validate());
}

TEST(Grants, AllGrantsEverything) {
  const Grants g = Grants::all(4096);
  EXPECT_TRUE(g.allows_send("x/y"));
  EXPECT_TRUE(g.allows_request("x/y/z"));
  EXPECT_TRUE(g.allows_publish("a.b.c"));
  EXPECT_TRUE(g.allows_subscribe("#"));
  EXPECT_TRUE(g.allows_storage());
  EXPECT_EQ(g.storage.quota_bytes, 4096u);
}

TEST(Grants, ReasonsAreBounded) {
  const std::string huge(10000, 'x');
  const Grants g;
  EXPECT_LT(g.allows_send(huge).reason.size(), 300u);
}

}  // namespace
}  // namespace airssys::wasm
