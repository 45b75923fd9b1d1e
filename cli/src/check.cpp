// airssys check SYSTEM.toml: the manifest, every module it names, and each module's imports
// against its grants; nothing runs.
#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/engine.hpp>
#include <airssys/wasm/manifest.hpp>
#include <iostream>

#include "cli.hpp"

namespace airssys::cli {
namespace {

namespace abi = wasm::abi;
namespace mf = wasm::manifest;

struct Report {
  std::size_t errors = 0, warnings = 0;
  void emit(mf::Severity severity, const mf::Location& where, const std::string& message, std::string_view cls,
            const std::string& hint = {}) {
    std::string s = where.file;
    if (where.line) s += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
    s += severity == mf::Severity::error ? ": error: " : ": warning: ";
    s += message + " [" + std::string(cls) + "]";
    if (!hint.empty()) s += " (" + hint + ")";
    std::cerr << s << '\n';
    (severity == mf::Severity::error ? errors : warnings) += 1;
  }
};

void check_module(wasm::Engine& engine, const mf::ComponentSpec& c, Report& report) {
  const std::string label = "component '" + c.address + "'";
  auto mod = engine.load_file(c.wasm);
  if (!mod) {
    report.emit(mf::Severity::error, c.wasm_where, label + ": " + mod.error().message(), "module");
    return;
  }
  const auto& info = (*mod)->info();
  if (auto ex = abi::check_exports(info); !ex)
    report.emit(mf::Severity::error, c.wasm_where, label + " is not an airssys component: " + ex.error().message(),
                "module", "build it with the guest SDK (airssys new, docs/guest-guide.md)");
  const auto imports = abi::inspect_imports(info);
  for (const auto& f : foreign_imports(imports))
    report.emit(mf::Severity::error, c.wasm_where, label + ": imports " + f + ", which the host does not provide",
                "module", "only the airssys interfaces and WASI preview 1 (wasi_snapshot_preview1) are provided");
  for (const auto& f : imports.mistyped)
    report.emit(mf::Severity::error, c.wasm_where, label + ": mistyped import " + f, "module");
  for (const auto& m : info.memories)
    if (m.initial_pages * 65536 > c.limits.memory_bytes)
      report.emit(mf::Severity::error, c.wasm_where,
                  label + ": the module starts with " + human_bytes(m.initial_pages * 65536) +
                      " of memory, more than its limits.memory " + human_bytes(c.limits.memory_bytes),
                  "limits", "raise limits.memory");
  const auto& g = c.grants;
  if (abi::contains(imports.interfaces, abi::Interface::messaging) && !g.any_messaging())
    report.emit(mf::Severity::error, c.grants_where,
                label + ": the module imports 'messaging' but has no send, request, publish or subscribe grant",
                "grants", "the host refuses to start it; grant what it needs, e.g. grants.send = [\"ns/name\"]");
  if (abi::contains(imports.interfaces, abi::Interface::storage) && !g.storage)
    report.emit(mf::Severity::error, c.grants_where,
                label + ": the module imports 'storage' but storage is not granted", "grants",
                "add grants.storage = true (or { quota = \"1MiB\" })");
  for (const auto& need : grants_needed(imports)) {
    const std::vector<std::string>* list = need.grant == "send"        ? &g.send
                                           : need.grant == "request"   ? &g.request
                                           : need.grant == "publish"   ? &g.publish
                                           : need.grant == "subscribe" ? &g.subscribe
                                                                       : nullptr;
    if (list && list->empty() && g.any_messaging())
      report.emit(mf::Severity::warning, c.grants_where,
                  label + ": the module imports " + need.function + " but has no grants." + need.grant +
                      ": those calls will be denied",
                  "grants");
  }
}

}  // namespace

std::optional<mf::SystemManifest> check_system(const std::filesystem::path& manifest, CheckCounts& counts) {
  auto loaded = mf::load(manifest);
  Report report;
  for (const auto& d : loaded.diagnostics) {
    std::cerr << d.to_string() << '\n';
    (d.severity == mf::Severity::error ? report.errors : report.warnings) += 1;
  }
  if (loaded.ok()) {
    wasm::Engine engine;
    for (const auto& c : loaded.manifest->components) check_module(engine, c, report);
    if (!loaded.manifest->data_dir)
      for (const auto& c : loaded.manifest->components)
        if (c.grants.storage || c.grants.filesystem != "none") {
          report.emit(mf::Severity::warning, c.grants_where,
                      "component '" + c.address + "' is granted " + (c.grants.storage ? "storage" : "a filesystem") +
                          " but the system has no data_dir",
                      "grants",
                      "set [system] data_dir, or pass airssys run --data-dir DIR");
          break;
        }
  }
  counts.errors = report.errors;
  counts.warnings = report.warnings;
  if (report.errors > 0) return std::nullopt;
  return std::move(loaded.manifest);
}

std::string plural(std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

int check(const CheckArgs& args) {
  CheckCounts counts;
  auto m = check_system(args.manifest, counts);
  const std::string name = args.manifest.string();
  if (!m) {
    std::cerr << name << ": " << plural(counts.errors, "error") << ", " << plural(counts.warnings, "warning")
              << "; nothing would start\n";
    return kExitUsage;
  }
  std::cout << name << ": ok: system '" << m->name << "', " << plural(m->components.size(), "component") << ", "
            << plural(m->supervisors.size(), "supervisor");
  if (counts.warnings) std::cout << ", " << plural(counts.warnings, "warning");
  std::cout << '\n';
  return kExitOk;
}

}  // namespace airssys::cli
