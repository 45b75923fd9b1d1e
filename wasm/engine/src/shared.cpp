// Link and argument checks shared by both tiers (the interpreter in instance.cpp, native code in
// aot/instance.cpp), so both report the same errors in the same words.
#include "module_impl.hpp"

namespace airssys::wasm::detail {
namespace {

constexpr std::uint64_t kPageSize = 65536;
constexpr std::uint64_t kMaxPages32 = 65536;

std::string_view kind_name(ImportInfo::Kind kind) {
  switch (kind) {
    case ImportInfo::Kind::func: return "function";
    case ImportInfo::Kind::table: return "table";
    case ImportInfo::Kind::memory: return "memory";
    case ImportInfo::Kind::global: return "global";
    case ImportInfo::Kind::tag: return "tag";
  }
  return "?";
}

}  // namespace

std::string import_name(const ImportInfo& i) { return i.module + "." + i.name; }

Result<std::vector<BoundImport>> link_imports(const ModuleInfo& info, const HostFunctions& host) {
  std::vector<BoundImport> out;
  out.reserve(info.imports.size());
  for (const auto& imp : info.imports) {
    if (imp.kind != ImportInfo::Kind::func) {
      return fail(Errc::unknown_import, import_name(imp) + ": the host provides functions only; this import is a " +
                                            std::string(kind_name(imp.kind)));
    }
    const auto* entry = host.find(imp.module, imp.name);
    if (!entry) return fail(Errc::unknown_import, import_name(imp) + " " + to_string(imp.type));
    if (entry->type != imp.type) {
      return fail(Errc::import_signature, import_name(imp) + ": the module expects " + to_string(imp.type) +
                                              ", the host provides " + to_string(entry->type));
    }
    out.push_back(BoundImport{&imp, entry->fn});
  }
  return out;
}

std::uint64_t memory_cap_pages(const Limits& l) { return std::min(l.max_memory_bytes / kPageSize, kMaxPages32); }

Result<void> check_initial_sizes(const wi::ModuleDesc& desc, const Limits& limits, const std::string& label) {
  for (const auto& m : desc.memories) {
    if (m.type.limits.initial > memory_cap_pages(limits)) {
      return fail(Errc::memory_limit, label + ": the module's memory starts at " + std::to_string(m.type.limits.initial) +
                                          " pages of 64 KiB, the limit is " + std::to_string(limits.max_memory_bytes) +
                                          " bytes");
    }
  }
  for (const auto& t : desc.tables) {
    if (t.type.limits.initial > limits.max_table_elements) {
      return fail(Errc::memory_limit, label + ": the module's table starts at " + std::to_string(t.type.limits.initial) +
                                          " elements, the limit is " + std::to_string(limits.max_table_elements));
    }
  }
  return {};
}

Result<void> check_args(std::string_view label, std::string_view fn, const FuncType& type, std::span<const Value> args) {
  const auto& params = type.params;
  bool ok = args.size() == params.size();
  for (std::size_t i = 0; ok && i < args.size(); ++i) {
    ok = args[i].type == params[i] && params[i] != ValType::v128 &&
         (params[i] == ValType::i32 || params[i] == ValType::i64 || params[i] == ValType::f32 ||
          params[i] == ValType::f64 || args[i].is_null_ref());
  }
  if (ok) return {};
  FuncType given;
  for (const auto& a : args) given.params.push_back(a.type);
  return fail(Errc::export_signature, std::string(label) + ": " + std::string(fn) + ": takes " + to_string(type) + ", called with " + to_string(given) +
                                          " (reference arguments must be null; v128 is not supported)");
}

}  // namespace airssys::wasm::detail
