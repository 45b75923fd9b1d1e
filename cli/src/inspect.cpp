// airssys inspect FILE.wasm [--json]: what a module is and what it needs, without running it.
#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/engine.hpp>
#include <airssys/wasm/wasi.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace airssys::cli {
namespace {

using wasm::ImportInfo;
namespace abi = wasm::abi;

std::string_view kind_name(ImportInfo::Kind k) {
  switch (k) {
    case ImportInfo::Kind::func:
      return "func";
    case ImportInfo::Kind::table:
      return "table";
    case ImportInfo::Kind::memory:
      return "memory";
    case ImportInfo::Kind::global:
      return "global";
    case ImportInfo::Kind::tag:
      return "tag";
  }
  return "?";
}

std::string describe_grant(const GrantNeed& n) {
  if (n.grant == "storage") return "grants.storage = true";
  if (n.grant == "messaging") return "at least one of grants.send / request / publish / subscribe";
  return "grants." + n.grant + " = [patterns]";
}

}  // namespace

int inspect(const InspectArgs& args) {
  wasm::Engine engine;
  auto mod = engine.load_file(args.file);
  if (!mod) {
    print_error("inspect", mod.error().message());
    return kExitUsage;
  }
  const wasm::ModuleInfo& info = (*mod)->info();
  const abi::ImportReport report = abi::inspect_imports(info);
  const auto exports = abi::check_exports(info);
  const auto needs = grants_needed(report);
  std::vector<std::string> interfaces;
  for (auto i : {abi::Interface::messaging, abi::Interface::services, abi::Interface::storage})
    if (abi::contains(report.interfaces, i)) interfaces.emplace_back(abi::to_string(i));
  const auto foreign = foreign_imports(report);
  const auto wasi_functions = wasm::wasi::imported_functions(info);
  std::vector<std::string> wasi_files;  // the WASI functions that need grants.filesystem to work
  for (const auto& f : wasi_functions)
    if (wasm::wasi::is_filesystem(f) && wasm::wasi::implemented(f)) wasi_files.push_back(f);
  const bool component = exports.has_value() && foreign.empty() && report.mistyped.empty();

  if (args.json) {
    nlohmann::json j;
    j["file"] = args.file.string();
    j["size"] = info.size_bytes;
    j["sha256"] = info.sha256;
    j["component"] = component;
    auto& mems = j["memories"] = nlohmann::json::array();
    for (const auto& m : info.memories) {
      nlohmann::json x{{"initial_pages", m.initial_pages}, {"initial_bytes", m.initial_pages * 65536}};
      x["max_pages"] = m.max_pages ? nlohmann::json(*m.max_pages) : nlohmann::json(nullptr);
      mems.push_back(std::move(x));
    }
    auto& imps = j["imports"] = nlohmann::json::array();
    for (const auto& i : info.imports) {
      nlohmann::json x{{"module", i.module}, {"name", i.name}, {"kind", kind_name(i.kind)}};
      if (i.kind == ImportInfo::Kind::func) x["type"] = wasm::to_string(i.type);
      imps.push_back(std::move(x));
    }
    auto& exps = j["exports"] = nlohmann::json::array();
    for (const auto& e : info.exports) {
      nlohmann::json x{{"name", e.name}, {"kind", kind_name(e.kind)}};
      if (e.kind == ImportInfo::Kind::func) x["type"] = wasm::to_string(e.type);
      exps.push_back(std::move(x));
    }
    auto& c = j["contract"];
    c["interfaces"] = interfaces;
    c["functions"] = report.functions;
    c["foreign_imports"] = foreign;
    c["wasi_functions"] = wasi_functions;
    c["wasi_filesystem_functions"] = wasi_files;
    c["mistyped_imports"] = report.mistyped;
    c["exports_ok"] = exports.has_value();
    if (!exports) c["exports_error"] = exports.error().message();
    auto& g = j["grants_needed"] = nlohmann::json::array();
    for (const auto& n : needs)
      g.push_back({{"grant", n.grant}, {"because", n.function}, {"manifest", describe_grant(n)}});
    if (!wasi_files.empty())
      g.push_back({{"grant", "filesystem"},
                   {"because", "wasi." + wasi_files.front()},
                   {"manifest", "grants.filesystem = \"read-only\" | \"read-write\""},
                   {"optional", true}});
    std::cout << j.dump(2) << '\n';
    return kExitOk;
  }

  std::ostream& out = std::cout;
  out << args.file.string() << '\n';
  out << "  size      " << info.size_bytes << " bytes (" << human_bytes(info.size_bytes) << ")\n";
  out << "  sha256    " << info.sha256 << '\n';
  if (info.memories.empty()) out << "  memory    none\n";
  for (const auto& m : info.memories) {
    out << "  memory    " << m.initial_pages << " pages initial (" << human_bytes(m.initial_pages * 65536) << "), ";
    if (m.max_pages)
      out << "max " << *m.max_pages << " pages (" << human_bytes(*m.max_pages * 65536) << ")\n";
    else
      out << "no maximum (the host's limits.memory applies)\n";
  }
  out << "  component " << (component ? "yes: implements airssys:component@0.1.0" : "no") << '\n';
  if (!exports) out << "            " << exports.error().message() << '\n';
  for (const auto& f : foreign) out << "            foreign import " << f << " (the host cannot link it)\n";
  for (const auto& f : report.mistyped) out << "            mistyped import " << f << '\n';
  out << "  uses      " << (interfaces.empty() ? std::string("no host interface") : "");
  for (std::size_t i = 0; i < interfaces.size(); ++i) out << (i ? ", " : "") << interfaces[i];
  out << '\n';
  for (const auto& f : report.functions) out << "            " << f << '\n';
  if (!wasi_functions.empty()) {
    out << "  wasi      " << wasi_functions.size() << " functions of " << wasm::wasi::kModule << " (docs/wasi.md)\n";
    for (const auto& f : wasi_functions)
      out << "            " << f
          << (!wasm::wasi::provides(f)      ? "  (unknown: the module cannot link)"
              : !wasm::wasi::implemented(f) ? "  (not provided: returns ENOSYS)"
              : wasm::wasi::is_filesystem(f) ? "  (files: needs grants.filesystem)"
                                            : "")
          << '\n';
  }
  if (needs.empty()) out << "  grants    none needed\n";
  for (std::size_t i = 0; i < needs.size(); ++i)
    out << (i ? "            " : "  grants    ") << describe_grant(needs[i]) << "  (for " << needs[i].function << ")\n";
  if (!wasi_files.empty())
    out << "  optional  grants.filesystem = \"read-only\" | \"read-write\"  (without it, wasi." << wasi_files.front()
        << " and the other file calls fail with ENOTCAPABLE)\n";
  out << "  imports   " << info.imports.size() << '\n';
  for (const auto& i : info.imports)
    out << "            " << i.module << " " << i.name << " " << kind_name(i.kind)
        << (i.kind == ImportInfo::Kind::func ? " " + wasm::to_string(i.type) : "") << '\n';
  out << "  exports   " << info.exports.size() << '\n';
  for (const auto& e : info.exports)
    out << "            " << e.name << " " << kind_name(e.kind)
        << (e.kind == ImportInfo::Kind::func ? " " + wasm::to_string(e.type) : "") << '\n';
  return kExitOk;
}

}  // namespace airssys::cli
