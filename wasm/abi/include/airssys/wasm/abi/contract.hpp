// The guest contract (airssys.wit 0.1.0) as core WebAssembly names and signatures: the table of
// docs/abi-signatures.md in code, used to bind imports, check exports and inspect modules.
// Thread-safety: immutable data and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>
#include <airssys/wasm/engine.hpp>

namespace airssys::wasm::abi {

inline constexpr std::string_view kMessagingModule = "airssys:component/messaging@0.1.0";
inline constexpr std::string_view kServicesModule = "airssys:component/services@0.1.0";
inline constexpr std::string_view kStorageModule = "airssys:component/storage@0.1.0";
inline constexpr std::string_view kLifecyclePrefix = "airssys:component/lifecycle@0.1.0#";
inline constexpr std::string_view kPostReturnPrefix = "cabi_post_";

inline constexpr std::string_view kExportInit = "airssys:component/lifecycle@0.1.0#init";
inline constexpr std::string_view kExportHandleMessage = "airssys:component/lifecycle@0.1.0#handle-message";
inline constexpr std::string_view kExportHandleResponse = "airssys:component/lifecycle@0.1.0#handle-response";
inline constexpr std::string_view kExportHealth = "airssys:component/lifecycle@0.1.0#health";
inline constexpr std::string_view kExportShutdown = "airssys:component/lifecycle@0.1.0#shutdown";
inline constexpr std::string_view kExportRealloc = "cabi_realloc";
/// Optional, () -> (): run once after instantiation, before any other export (the build-targets
/// "initialization export"; wasi-libc reactors put their constructors there).
inline constexpr std::string_view kExportInitialize = "_initialize";
/// Optional airssys extension, () -> i32: a pointer to two u32, (offset, size), naming a region of
/// guest memory the host may write export arguments into instead of calling cabi_realloc once
/// per string or list. A guest that exports it promises not to free arguments one by one (they
/// are released with the call). Asked once, after instantiation. docs/abi-signatures.md.
inline constexpr std::string_view kExportArgArea = "airssys-arg-area";
/// Exported by WASI command modules; its presence refuses the module (command_module).
inline constexpr std::string_view kExportStart = "_start";
inline constexpr std::string_view kPostInit = "cabi_post_airssys:component/lifecycle@0.1.0#init";
inline constexpr std::string_view kPostHandleMessage = "cabi_post_airssys:component/lifecycle@0.1.0#handle-message";

/// The imported interfaces of the world, as bits (a capability set).
enum class Interface : std::uint8_t { messaging = 1, services = 2, storage = 4 };
using Interfaces = std::uint8_t;
inline constexpr Interfaces kAllInterfaces = 7;
constexpr Interfaces operator|(Interface a, Interface b) noexcept {
  return static_cast<Interfaces>(static_cast<Interfaces>(a) | static_cast<Interfaces>(b));
}
constexpr bool contains(Interfaces set, Interface i) noexcept { return (set & static_cast<Interfaces>(i)) != 0; }
std::string_view module_name(Interface i) noexcept;
std::string_view to_string(Interface i) noexcept;  ///< "messaging"

/// One core function of the contract.
struct FuncSpec {
  Interface iface;       ///< for imports; unused for exports
  std::string_view name;  ///< WIT name ("self-address") or full export name
  FuncType type;
};

/// Every import function of the world (messaging, services, storage), in WIT order.
const std::vector<FuncSpec>& import_specs();
/// The import `name` of `iface`, or nullptr.
const FuncSpec* find_import(Interface iface, std::string_view name) noexcept;
/// The required exports: lifecycle's five functions and cabi_realloc.
const std::vector<FuncSpec>& export_specs();
/// The core type of a post-return function: (i32) -> ().
const FuncType& post_return_type();

/// Which optional exports a module has, once check_exports accepted it.
struct ExportSet {
  bool post_init = false;
  bool post_handle_message = false;
  bool initialize = false;  ///< `_initialize` () -> ()
  bool arg_area = false;    ///< `airssys-arg-area` () -> i32
};

/// Checks a module exports everything the contract requires with the right core signatures and
/// has a linear memory. Errors: command_module (it exports `_start`: a WASI command, not a
/// reactor), missing_export / export_signature naming the export, the expected and the actual
/// signature.
Result<ExportSet> check_exports(const ModuleInfo& info);

/// What a module imports, for capability checks.
struct ImportReport {
  Interfaces interfaces = 0;            ///< contract interfaces with at least one import
  std::vector<std::string> functions;   ///< "messaging.send", ... (contract imports)
  std::vector<std::string> foreign;     ///< "module.name" of every import outside the contract
  std::vector<std::string> mistyped;    ///< contract imports with a wrong signature, explained
};
ImportReport inspect_imports(const ModuleInfo& info);

}  // namespace airssys::wasm::abi
