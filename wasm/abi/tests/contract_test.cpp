// The contract's checks at load: missing or mistyped exports and imports give clear errors, and a
// guest returning garbage from an export is refused while lifting.
#include "component_fixture.hpp"

using namespace airssys;
using namespace airssys::wasm;
using namespace airssys::wasm::abi;
using namespace airssys::wasm::abi::testing;

namespace {

Error create_error(const std::string& name) {
  TestHost host;
  auto module = load_guest(name);
  if (!module) return Error{Errc::io_error, name};
  auto comp = ComponentInstance::create(*module, host);
  EXPECT_FALSE(comp) << name << " was accepted";
  return comp ? Error{} : comp.error();
}

bool mentions(const Error& e, std::string_view what) { return e.context.find(what) != std::string::npos; }

TEST(Contract, SignatureTableMatchesTheGuestSdk) {
  // Every export of the SDK's echo has exactly the table's type, and post-returns exist.
  auto module = load_guest("echo");
  ASSERT_TRUE(module);
  auto set = check_exports(module->info());
  ASSERT_TRUE(set) << set.error().message();
  // The SDK releases results when the next call begins (its call arena), so it exports no
  // post-return; PostReturnIsCalledWithTheReturnedPointer covers the host's side.
  EXPECT_FALSE(set->post_init);
  EXPECT_FALSE(set->post_handle_message);
  EXPECT_TRUE(set->arg_area);
  // Every import any guest makes is in the table with the same type.
  for (const char* g : {"requester", "publisher", "subscriber", "timer", "storage", "badptr", "echo_cpp"}) {
    auto report = inspect_imports(load_guest(g)->info());
    EXPECT_TRUE(report.foreign.empty()) << g;
    EXPECT_TRUE(report.mistyped.empty()) << g << ": " << (report.mistyped.empty() ? "" : report.mistyped[0]);
  }
  EXPECT_EQ(import_specs().size(), 18u);
}

TEST(Contract, MinimalModuleIsAccepted) {
  TestHost host;
  auto comp = ComponentInstance::create(*load_guest("minimal"), host);
  ASSERT_TRUE(comp) << comp.error().message();
  EXPECT_FALSE((*comp)->exports().post_handle_message);
  auto r = (*comp)->handle_message(msg("x"));
  EXPECT_EQ(answer(r), "none");
  EXPECT_EQ(*(*comp)->health(), Health::healthy);
}

TEST(Contract, InitializeRunsOnceAtCreate) {
  TestHost host;
  auto comp = ComponentInstance::create(*load_guest("initialize"), host);
  ASSERT_TRUE(comp) << comp.error().message();
  EXPECT_TRUE((*comp)->exports().initialize);
  EXPECT_EQ(*(*comp)->health(), Health::degraded);  // health returns the run count: 1
  EXPECT_EQ(*(*comp)->health(), Health::degraded);
}

TEST(Contract, MissingExportIsNamed) {
  auto e = create_error("missing_export");
  EXPECT_EQ(e.code, Errc::missing_export);
  EXPECT_TRUE(mentions(e, "airssys:component/lifecycle@0.1.0#handle-message")) << e.message();
  EXPECT_TRUE(mentions(e, "missing_export")) << e.message();  // the module's name is in the context
  e = create_error("missing_realloc");
  EXPECT_EQ(e.code, Errc::missing_export);
  EXPECT_TRUE(mentions(e, "cabi_realloc")) << e.message();
}

TEST(Contract, WrongExportSignatureShowsBothTypes) {
  auto e = create_error("wrong_signature");
  EXPECT_EQ(e.code, Errc::export_signature);
  EXPECT_TRUE(mentions(e, "#handle-message")) << e.message();
  EXPECT_TRUE(mentions(e, "(i32, i32, i32) -> (i32)")) << e.message();
  EXPECT_TRUE(mentions(e, "i64")) << e.message();
  e = create_error("wrong_post_return");
  EXPECT_EQ(e.code, Errc::export_signature);
  EXPECT_TRUE(mentions(e, "cabi_post_")) << e.message();
}

TEST(Contract, NoMemory) {
  auto e = create_error("no_memory");
  EXPECT_EQ(e.code, Errc::missing_export);
  EXPECT_TRUE(mentions(e, "memory")) << e.message();
}

TEST(Contract, ForeignAndMistypedImports) {
  auto report = inspect_imports(load_guest("foreign_import")->info());
  ASSERT_EQ(report.foreign.size(), 1u);
  EXPECT_EQ(report.foreign[0], "wasi_snapshot_preview1.fd_write");
  auto e = create_error("foreign_import");
  EXPECT_EQ(e.code, Errc::unknown_import) << e.message();
  EXPECT_TRUE(mentions(e, "fd_write")) << e.message();

  e = create_error("mistyped_import");
  EXPECT_EQ(e.code, Errc::import_signature) << e.message();
  EXPECT_TRUE(mentions(e, "messaging.send")) << e.message();
}

TEST(Contract, CapabilitiesWithheldByLeavingInterfacesOut) {
  HostFunctions only_services;
  define_imports(only_services, host_from_user_data, static_cast<Interfaces>(Interface::services));
  TestHost host;
  auto ok = ComponentInstance::create(*load_guest("echo"), only_services, host, {}, "echo");
  EXPECT_TRUE(ok) << ok.error().message();
  auto denied = ComponentInstance::create(*load_guest("storage"), only_services, host, {}, "storage");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::unknown_import);
}

TEST(Contract, GarbageReturnedByExportsIsRefused) {
  TestHost host;
  auto module = load_guest("bad_return");
  struct Case {
    std::size_t payload_len;
    Errc expected;
  } cases[] = {{0, Errc::bad_discriminant}, {1, Errc::bad_utf8}, {2, Errc::bad_discriminant},
               {3, Errc::bad_pointer}, {4, Errc::bad_pointer}};
  for (const auto& c : cases) {
    auto comp = ComponentInstance::create(*module, host);
    ASSERT_TRUE(comp);
    auto r = (*comp)->handle_message(msg(std::string(c.payload_len, 'x')));
    ASSERT_FALSE(r) << c.payload_len << ": " << answer(r);
    EXPECT_EQ(r.error().code, c.expected) << c.payload_len << ": " << r.error().message();
    EXPECT_TRUE((*comp)->poisoned());
    EXPECT_EQ((*comp)->health().error().code, Errc::poisoned);
  }
  auto comp = ComponentInstance::create(*module, host);
  EXPECT_EQ((*comp)->init(Config{"a/b", {}, {}}).error().code, Errc::bad_alignment);
  auto comp2 = ComponentInstance::create(*module, host);
  EXPECT_EQ((*comp2)->health().error().code, Errc::bad_discriminant);
}

TEST(Contract, GarbageFromCabiReallocIsRefused) {
  TestHost host;
  auto comp = ComponentInstance::create(*load_guest("bad_realloc"), host);
  ASSERT_TRUE(comp);
  auto r = (*comp)->handle_message(msg("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::bad_pointer);
  EXPECT_TRUE(mentions(r.error(), "cabi_realloc")) << r.error().message();
}

TEST(Contract, PostReturnIsCalledWithTheReturnedPointer) {
  TestHost host;
  auto comp = ComponentInstance::create(*load_guest("post_return"), host);
  ASSERT_TRUE(comp) << comp.error().message();
  ASSERT_TRUE((*comp)->exports().post_init && (*comp)->exports().post_handle_message);
  ASSERT_TRUE((*comp)->init(Config{"test/post", {}, {}}));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(answer((*comp)->handle_message(msg("x"))), "none");
  auto posts = (*comp)->instance().call("posts", {});
  ASSERT_TRUE(posts) << posts.error().message();
  EXPECT_EQ((*posts)[0].u32, 103u);  // init's once (100) and one per message
}

TEST(Contract, ArgumentAreaOutsideMemoryIsRefused) {
  auto e = create_error("bad_arg_area");
  EXPECT_EQ(e.code, Errc::bad_pointer) << e.message();
  EXPECT_TRUE(mentions(e, "airssys-arg-area")) << e.message();
}

TEST(Contract, MistypedArgumentAreaIsRefused) {
  auto e = create_error("mistyped_arg_area");
  EXPECT_EQ(e.code, Errc::export_signature) << e.message();
  EXPECT_TRUE(mentions(e, "airssys-arg-area")) << e.message();
}

}  // namespace
