// Capabilities, limits at send, codecs, mailbox overflow: end to end with real guests.
#include "support.hpp"

namespace airssys::wasm::test {
namespace {

struct AuditedHost {
  TempDir dir;
  std::unique_ptr<HostSystem> host;
  AuditedHost() {
    HostOptions o;
    o.data_dir = (dir.path / "data").string();
    o.audit_path = (dir.path / "audit.log").string();
    host = make_host(std::move(o));
  }
  std::vector<AuditRecord> denials(std::string_view action) {
    auto c = AuditLog::read((dir.path / "audit.log").string());
    EXPECT_TRUE(c.has_value());
    std::vector<AuditRecord> out;
    for (auto& r : c->records)
      if (r.action == action && r.decision == Decision::deny) out.push_back(r);
    return out;
  }
};

TEST(Capability, SpawnRefusesAnInterfaceWithoutGrant) {
  AuditedHost h;
  auto r = h.host->spawn(spec("test/requester", "requester"));  // imports messaging, no grant
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_NE(r.error().message().find("messaging"), std::string::npos) << r.error().message();
  auto s = h.host->spawn(spec("test/storage", "storage"));  // imports storage, no grant
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::denied);
  EXPECT_NE(s.error().message().find("storage"), std::string::npos) << s.error().message();
  EXPECT_EQ(h.denials("spawn").size(), 2u);
  EXPECT_TRUE(h.host->list().empty());
  // services needs no grant.
  EXPECT_TRUE(h.host->spawn(spec("test/echo", "echo")));
}

TEST(Capability, StorageWithoutDataDirIsRefused) {
  auto host = make_host();
  Grants g;
  g.storage.enabled = true;
  auto r = host->spawn(spec("test/storage", "storage", g));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_config);
}

TEST(Capability, SendDeniedAtCallTimeIsAnErrorNotATrap) {
  AuditedHost h;
  ASSERT_TRUE(h.host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.send = {"allowed/*"};
  ASSERT_TRUE(h.host->spawn(spec("test/relay", "relay", g)));
  auto r = ask(*h.host, "test/relay", "send test/echo - 3");
  EXPECT_TRUE(r.starts_with("err:0:")) << r;  // denied(reason)
  EXPECT_EQ(ask(*h.host, "test/relay", "stats"), "0,0,0,0,0");  // still running
  EXPECT_EQ(h.host->info("test/relay")->failures, 0u);
  auto d = h.denials("messaging.send");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].component, "test/relay");
  EXPECT_EQ(d[0].target, "test/echo");
}

TEST(Capability, RequestDeniedAtCallTime) {
  AuditedHost h;
  ASSERT_TRUE(h.host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.request = {"allowed/*"};
  g.send = {"test/echo"};  // send is granted separately from request
  ASSERT_TRUE(h.host->spawn(spec("test/relay", "relay", g)));
  auto r = ask(*h.host, "test/relay", "req test/echo 100");
  EXPECT_TRUE(r.starts_with("err:0:")) << r;
  EXPECT_EQ(ask(*h.host, "test/relay", "send test/echo - 1"), "ok");
  EXPECT_EQ(h.denials("messaging.request").size(), 1u);
}

TEST(Capability, PublishDeniedAtCallTime) {
  AuditedHost h;
  Grants g;
  g.publish = {"other.#"};
  auto p = spec("test/pub", "publisher", g);
  p.settings = {{"topic", "news"}};
  ASSERT_TRUE(h.host->spawn(p));
  auto r = ask(*h.host, "test/pub", "x");
  EXPECT_TRUE(r.starts_with("error:target-failed:")) << r;  // the guest answers err(reason)
  EXPECT_EQ(h.denials("messaging.publish").size(), 1u);
  EXPECT_EQ(h.host->info("test/pub")->status, ComponentStatus::running);
}

TEST(Capability, SubscribeDeniedAtCallTime) {
  AuditedHost h;
  Grants g;
  g.subscribe = {"other.#"};
  auto s = spec("test/sub", "subscriber", g);
  s.settings = {{"topics", "news.#"}};
  auto r = h.host->spawn(s);  // the subscriber fails its init when a subscribe is refused
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("subscribe refused"), std::string::npos) << r.error().message();
  EXPECT_EQ(h.denials("messaging.subscribe").size(), 1u);
}

TEST(Capability, AllowedDecisionsAreAuditedWhenAskedFor) {
  TempDir dir;
  HostOptions o;
  o.audit_path = (dir.path / "audit.log").string();
  o.audit.log_allowed = true;
  auto host = make_host(std::move(o));
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.send = {"test/*"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo - 1"), "ok");
  EXPECT_TRUE(ask(*host, "test/relay", "send other/x - 1").starts_with("err:0:"));
  auto c = AuditLog::read((dir.path / "audit.log").string());
  ASSERT_TRUE(c);
  std::size_t allow = 0, deny = 0;
  for (auto& r : c->records) {
    if (r.action != "messaging.send") continue;
    (r.decision == Decision::allow ? allow : deny) += 1;
    EXPECT_EQ(r.component, "test/relay");
  }
  EXPECT_EQ(allow, 1u);
  EXPECT_EQ(deny, 1u);
  EXPECT_EQ(host->stats().audit_records, c->records.size());
}

TEST(Capability, CodecsAreCheckedAtSend) {
  auto host = make_host();
  auto e = spec("test/echo", "echo");
  e.accepted_codecs = {"json"};
  ASSERT_TRUE(host->spawn(e));
  Grants g;
  g.send = {"test/*"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  auto r = ask(*host, "test/relay", "send test/echo cbor 3");
  EXPECT_TRUE(r.starts_with("err:0:codec 'cbor' not accepted")) << r;
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo json 3"), "ok");
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo - 3"), "ok");
  auto api = host->send("test/echo", bytes("{}"), std::string("cbor"));
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, Errc::codec_not_accepted);
  EXPECT_TRUE(host->send("test/echo", bytes("{}"), std::string("json")));
}

TEST(Capability, MessageSizeLimit) {
  auto host = make_host();
  ASSERT_TRUE(host->spawn(spec("test/echo", "echo")));
  Grants g;
  g.send = {"test/*"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo - 2000000"), "err:3:1048576");
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo - 1000"), "ok");
  ComponentLimits small;
  small.max_message_bytes = 100;
  ASSERT_TRUE(host->set_limits("test/relay", small));
  EXPECT_EQ(ask(*host, "test/relay", "send test/echo - 200"), "err:3:100");
  auto api = host->send("test/echo", abi::Bytes(kDefaultMaxMessageBytes + 1));
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, Errc::too_large);
}

TEST(Capability, FullMailboxIsQueueFull) {
  auto host = make_host();
  // A target that handles nothing for a while without holding a worker: it just failed and waits
  // out a 2 s restart backoff; its bounded mailbox keeps (and refuses) what arrives meanwhile.
  auto s = spec("test/stuck", "trap");
  s.mailbox = rt::MailboxOptions::bounded(2, rt::OverflowPolicy::reject);
  s.supervision.backoff.initial = 2000ms;
  ASSERT_TRUE(host->spawn(s));
  Grants g;
  g.send = {"test/*"};
  g.request = {"test/*"};
  ASSERT_TRUE(host->spawn(spec("test/relay", "relay", g)));
  ASSERT_TRUE(host->send("test/stuck", bytes("boom")));
  ASSERT_TRUE(eventually([&] { return host->info("test/stuck")->failures == 1; }));
  ASSERT_TRUE(host->send("test/stuck", bytes("ok")));
  ASSERT_TRUE(host->send("test/stuck", bytes("ok")));
  EXPECT_EQ(ask(*host, "test/relay", "send test/stuck - 1"), "err:2:");
  EXPECT_EQ(ask(*host, "test/relay", "req test/stuck 1000"), "err:2:");
  auto api = host->send("test/stuck", bytes("ok"));
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, Errc::mailbox_full);
  EXPECT_EQ(ask(*host, "test/stuck", "ok", 100ms), "error:queue-full:");
  EXPECT_EQ(host->tracker().pending(), 0u);  // refused requests leave nothing behind
}

}  // namespace
}  // namespace airssys::wasm::test
