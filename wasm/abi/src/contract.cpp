#include <airssys/wasm/abi/contract.hpp>

#include <string>

namespace airssys::wasm::abi {
namespace {

constexpr ValType I32 = ValType::i32;
constexpr ValType I64 = ValType::i64;

FuncType fn(std::vector<ValType> params, std::vector<ValType> results = {}) {
  return FuncType{std::move(params), std::move(results)};
}
std::vector<ValType> i32s(std::size_t n) { return std::vector<ValType>(n, I32); }

const FuncSpec* find_spec(const std::vector<FuncSpec>& specs, std::string_view module, std::string_view name) {
  for (const auto& s : specs)
    if (module_name(s.iface) == module && s.name == name) return &s;
  return nullptr;
}

}  // namespace

std::string_view module_name(Interface i) noexcept {
  switch (i) {
    case Interface::messaging: return kMessagingModule;
    case Interface::services: return kServicesModule;
    case Interface::storage: return kStorageModule;
  }
  return {};
}

std::string_view to_string(Interface i) noexcept {
  switch (i) {
    case Interface::messaging: return "messaging";
    case Interface::services: return "services";
    case Interface::storage: return "storage";
  }
  return "?";
}

// The table of docs/abi-signatures.md. Keep them in sync.
const std::vector<FuncSpec>& import_specs() {
  static const std::vector<FuncSpec> specs = [] {
    using I = Interface;
    return std::vector<FuncSpec>{
        {I::messaging, "send", fn(i32s(8))},
        {I::messaging, "request", fn(i32s(6))},
        {I::messaging, "cancel", fn({I64}, {I32})},
        {I::messaging, "publish", fn(i32s(5))},
        {I::messaging, "subscribe", fn(i32s(3))},
        {I::messaging, "unsubscribe", fn(i32s(2))},
        {I::messaging, "self-address", fn(i32s(1))},
        {I::services, "log", fn(i32s(3))},
        {I::services, "now-unix-ms", fn({}, {I64})},
        {I::services, "monotonic-ns", fn({}, {I64})},
        {I::services, "set-timer", fn(i32s(3), {I64})},
        {I::services, "cancel-timer", fn({I64}, {I32})},
        {I::services, "random-bytes", fn(i32s(2))},
        {I::storage, "get", fn(i32s(3))},
        {I::storage, "set", fn(i32s(5))},
        {I::storage, "delete", fn(i32s(3))},
        {I::storage, "list-keys", fn(i32s(4))},
        {I::storage, "usage", fn(i32s(1))},
    };
  }();
  return specs;
}

const FuncSpec* find_import(Interface iface, std::string_view name) noexcept {
  for (const auto& s : import_specs())
    if (s.iface == iface && s.name == name) return &s;
  return nullptr;
}

const std::vector<FuncSpec>& export_specs() {
  static const std::vector<FuncSpec> specs = [] {
    std::vector<ValType> message = i32s(8);
    message.push_back(I64);
    for (int i = 0; i < 3; ++i) message.push_back(I32);
    std::vector<ValType> response{I64};
    for (int i = 0; i < 6; ++i) response.push_back(I32);
    return std::vector<FuncSpec>{
        {Interface::messaging, kExportInit, fn(i32s(7), {I32})},
        {Interface::messaging, kExportHandleMessage, fn(message, {I32})},
        {Interface::messaging, kExportHandleResponse, fn(response)},
        {Interface::messaging, kExportHealth, fn({}, {I32})},
        {Interface::messaging, kExportShutdown, fn({})},
        {Interface::messaging, kExportRealloc, fn(i32s(4), {I32})},
    };
  }();
  return specs;
}

const FuncType& post_return_type() {
  static const FuncType type = fn(i32s(1));
  return type;
}

namespace {

const ExportInfo* find_export(const ModuleInfo& info, std::string_view name) {
  for (const auto& e : info.exports)
    if (e.name == name) return &e;
  return nullptr;
}

Result<void> check_one(const ModuleInfo& info, std::string_view name, const FuncType& expected) {
  const ExportInfo* e = find_export(info, name);
  if (!e) {
    return fail(Errc::missing_export, info.name + ": the component does not export '" + std::string(name) +
                                          "' " + to_string(expected) + " (airssys.wit lifecycle, canonical ABI)");
  }
  if (e->kind != ImportInfo::Kind::func) {
    return fail(Errc::export_signature, info.name + ": '" + std::string(name) + "' is exported but is not a function");
  }
  if (!(e->type == expected)) {
    return fail(Errc::export_signature, info.name + ": '" + std::string(name) + "' has type " + to_string(e->type) +
                                            ", the contract requires " + to_string(expected));
  }
  return {};
}

// An optional post-return export: absent is fine, present with the wrong type is an error.
Result<bool> check_post(const ModuleInfo& info, std::string_view name) {
  if (!find_export(info, name)) return false;
  if (auto ok = check_one(info, name, post_return_type()); !ok) return tl::unexpected(ok.error());
  return true;
}

}  // namespace

Result<ExportSet> check_exports(const ModuleInfo& info) {
  // A WASI command module runs main() once from _start and exits: it cannot be an actor.
  if (find_export(info, kExportStart)) {
    return fail(Errc::command_module,
                info.name + ": the module exports '_start' (a WASI command: main() runs once, then it exits); "
                            "airssys runs reactors: build with `clang --target=wasm32-wasi -mexec-model=reactor` "
                            "and export the airssys lifecycle (docs/wasi.md)");
  }
  for (const auto& spec : export_specs()) {
    if (auto ok = check_one(info, spec.name, spec.type); !ok) return tl::unexpected(ok.error());
  }
  if (info.memories.empty()) {
    return fail(Errc::missing_export, info.name + ": the component has no linear memory (the canonical ABI needs one)");
  }
  ExportSet set;
  auto post_init = check_post(info, kPostInit);
  if (!post_init) return tl::unexpected(post_init.error());
  auto post_msg = check_post(info, kPostHandleMessage);
  if (!post_msg) return tl::unexpected(post_msg.error());
  if (const ExportInfo* e = find_export(info, kExportInitialize)) {
    if (e->kind != ImportInfo::Kind::func || !(e->type == FuncType{})) {
      return fail(Errc::export_signature, info.name + ": '_initialize' must be a function () -> ()");
    }
    set.initialize = true;
  }
  if (find_export(info, kExportArgArea)) {
    static const FuncType kArgArea{{}, {ValType::i32}};
    if (auto ok = check_one(info, kExportArgArea, kArgArea); !ok) return tl::unexpected(ok.error());
    set.arg_area = true;
  }
  set.post_init = *post_init;
  set.post_handle_message = *post_msg;
  return set;
}

ImportReport inspect_imports(const ModuleInfo& info) {
  ImportReport report;
  for (const auto& imp : info.imports) {
    const FuncSpec* spec = imp.kind == ImportInfo::Kind::func ? find_spec(import_specs(), imp.module, imp.name) : nullptr;
    if (!spec) {
      report.foreign.push_back(imp.module + "." + imp.name);
      continue;
    }
    report.interfaces |= static_cast<Interfaces>(spec->iface);
    report.functions.push_back(std::string(to_string(spec->iface)) + "." + imp.name);
    if (!(imp.type == spec->type)) {
      report.mistyped.push_back(std::string(to_string(spec->iface)) + "." + imp.name + ": imported as " +
                                to_string(imp.type) + ", the contract says " + to_string(spec->type));
    }
  }
  return report;
}

}  // namespace airssys::wasm::abi
