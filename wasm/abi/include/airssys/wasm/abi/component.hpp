// A component instance seen through the contract: typed calls of the lifecycle exports.
//
//   Engine engine;
//   auto module = engine.load_file("guests/echo.wasm");
//   MyHost host;                                             // implements abi::Host
//   auto comp = ComponentInstance::create(**module, host, limits, "test/echo");
//   (*comp)->init(Config{"test/echo", {}, {}});
//   auto answer = (*comp)->handle_message(Message{.from = "a/b", .payload = {1, 2, 3}});
//
// create() checks the required exports and their core signatures first (missing_export /
// export_signature naming the export), then links the imports, instantiates, and calls
// `_initialize` if the module exports it.
// Each call lowers its arguments into guest memory (into the guest's argument area if it exports
// `airssys-arg-area` and they fit, else through cabi_realloc), calls the export,
// lifts the result with checks (a guest returning garbage gets bad_pointer / bad_utf8 /
// bad_discriminant, never UB), then calls the export's post-return if the guest has one.
//
// The outer Result is the host's view (a trap, fuel/deadline/memory limit, bad pointer: the
// instance is then poisoned); the inner expected is the guest's own answer (err(string)).
// A guest that returns garbage (an ABI error while lifting its result) broke the contract: like
// a trap, every later call then fails with `poisoned` naming the first error.
// Thread-safety: like Instance, one thread at a time (the component's actor).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <airssys/error.hpp>
#include <airssys/wasm/abi/contract.hpp>
#include <airssys/wasm/abi/host.hpp>
#include <airssys/wasm/abi/lift.hpp>
#include <airssys/wasm/abi/types.hpp>
#include <airssys/wasm/engine.hpp>

namespace airssys::wasm::abi {

class ComponentInstance {
 public:
  /// Links against default_imports(): the instance's user_data is &host, which must outlive
  /// the instance.
  [[nodiscard]] static Result<std::unique_ptr<ComponentInstance>> create(const Module& module, Host& host,
                                                           const Limits& limits = {}, std::string label = {});
  /// Links against `imports` (e.g. a subset, for capabilities) whose functions resolve the Host
  /// with host_from_user_data; the instance's user_data is &host.
  [[nodiscard]] static Result<std::unique_ptr<ComponentInstance>> create(const Module& module, const HostFunctions& imports,
                                                           Host& host, const Limits& limits, std::string label);

  /// lifecycle.init
  [[nodiscard]] Result<tl::expected<void, std::string>> init(const Config& config);
  /// lifecycle.handle-message: ok(some(p)) answers a request with p.
  [[nodiscard]] Result<tl::expected<std::optional<Bytes>, std::string>> handle_message(const Message& message);
  /// lifecycle.handle-response
  [[nodiscard]] Result<void> handle_response(const Response& response);
  /// lifecycle.health (an out-of-range value is bad_discriminant)
  [[nodiscard]] Result<Health> health();
  /// lifecycle.shutdown
  [[nodiscard]] Result<void> shutdown();

  Instance& instance() noexcept { return *instance_; }
  /// True once a call trapped, hit a limit or broke the ABI: the instance is not called again.
  bool poisoned() const noexcept { return broken_.has_value() || instance_->poisoned(); }
  const ExportSet& exports() const noexcept { return exports_; }
  const ImportReport& imports() const noexcept { return imports_; }

 private:
  ComponentInstance(std::unique_ptr<Instance> instance, ExportSet exports, ImportReport imports)
      : instance_(std::move(instance)), exports_(exports), imports_(std::move(imports)) {}
  Result<void> read_arg_area();
  ArgAreaAllocator arguments() { return ArgAreaAllocator(*instance_, arg_base_, arg_size_); }
  Result<std::uint32_t> call_i32(std::string_view name, std::span<const Value> args);
  Result<void> post_return(bool exported, std::string_view name, std::uint32_t retptr);
  Result<void> usable() const;
  /// Remembers an ABI-phase error (the guest broke the contract) and passes any result through.
  template <class T>
  Result<T> note(Result<T> r) {
    if (!r && r.error().phase() == Phase::abi && !broken_) broken_ = r.error();
    return r;
  }

  std::unique_ptr<Instance> instance_;
  ExportSet exports_;
  ImportReport imports_;
  std::uint32_t arg_base_ = 0, arg_size_ = 0;  // the argument area; size 0: none
  std::optional<Error> broken_;
};

}  // namespace airssys::wasm::abi
