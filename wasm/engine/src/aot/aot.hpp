// Private: the ahead-of-time tier. A module translated by wabt's C writer, compiled by the system
// C compiler into a shared object (cached), loaded, and instantiated behind engine.hpp.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aot/abi.h"
#include "module_impl.hpp"

namespace airssys::wasm::detail::aot {

/// Part of every cache key: bump it whenever translate.cpp changes the C it generates (the
/// embedded runtime files are hashed into the key by themselves).
inline constexpr std::string_view kTranslatorVersion = "airssys-aot-translate/6 wabt-1.0.32";

/// wasm2c output + glue + runtime for one module: a complete C translation unit.
Result<std::string> translate(std::span<const std::uint8_t> bytes, const ModuleInfo& info);

/// An exported function of an AOT module, by name (sorted), with its index in info().exports.
struct ExportEntry {
  std::string_view name;
  const FuncType* type;
  std::uint32_t index;
};

class AotModule final : public Module, public std::enable_shared_from_this<AotModule> {
 public:
  AotModule(std::shared_ptr<const ModuleImpl> base, void* handle, int fd, const airssys_aot_module* entry);
  ~AotModule() override;
  AotModule(const AotModule&) = delete;
  AotModule& operator=(const AotModule&) = delete;

  const ModuleInfo& info() const noexcept override { return base_->info(); }
  Tier tier() const noexcept override { return Tier::aot; }
  const ModuleImpl& base() const noexcept { return *base_; }
  const airssys_aot_module& entry() const noexcept { return *entry_; }
  const ExportEntry* find(std::string_view name) const noexcept;

 private:
  std::shared_ptr<const ModuleImpl> base_;
  void* handle_;
  int fd_;
  const airssys_aot_module* entry_;
  std::vector<ExportEntry> exports_;  // functions only, sorted by name
};

struct Config {
  std::filesystem::path cache_dir;
  std::string compiler;
  std::vector<std::string> flags;
};

/// Translate + compile (or find in the cache, verified) + load.
Result<std::shared_ptr<const AotModule>> compile(const std::shared_ptr<const ModuleImpl>& base, const Config& config,
                                                 AotStats* stats);

/// The instance of an AOT module (aot/instance.cpp).
Result<std::unique_ptr<Instance>> create_instance(const AotModule& module, const HostFunctions& host,
                                                  const Limits& limits, void* user_data, std::string label);

/// The text pasted into every generated file (generated at build time from src/aot/*.{h,c}).
std::string_view embedded_abi();
std::string_view embedded_prelude();
std::string_view embedded_runtime();

}  // namespace airssys::wasm::detail::aot
