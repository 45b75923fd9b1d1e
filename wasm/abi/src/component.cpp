#include <airssys/wasm/abi/component.hpp>

#include <string>

#include <airssys/wasm/abi/lift.hpp>

#include "try.hpp"

namespace airssys::wasm::abi {

Result<std::unique_ptr<ComponentInstance>> ComponentInstance::create(const Module& module, Host& host,
                                                                     const Limits& limits, std::string label) {
  return create(module, default_imports(), host, limits, std::move(label));
}

Result<std::unique_ptr<ComponentInstance>> ComponentInstance::create(const Module& module,
                                                                     const HostFunctions& imports, Host& host,
                                                                     const Limits& limits, std::string label) {
  // Exports first: a module that cannot serve the contract is refused before it runs anything.
  AIRSSYS_TRY(ExportSet exports, check_exports(module.info()));
  ImportReport report = inspect_imports(module.info());
  if (!report.mistyped.empty()) {
    return fail(Errc::import_signature, module.info().name + ": " + report.mistyped.front());
  }
  AIRSSYS_TRY(auto instance, Instance::create(module, imports, limits, static_cast<Host*>(&host), std::move(label)));
  if (exports.initialize) {
    AIRSSYS_TRY(auto ignored, instance->call(kExportInitialize, {}));
    (void)ignored;
  }
  std::unique_ptr<ComponentInstance> self(new ComponentInstance(std::move(instance), exports, std::move(report)));
  if (exports.arg_area) AIRSSYS_CHECK(self->read_arg_area());
  return self;
}

/// Asks the guest once where its argument area is, and checks it lies in memory, 8-aligned.
Result<void> ComponentInstance::read_arg_area() {
  AIRSSYS_TRY(std::uint32_t desc, call_i32(kExportArgArea, {}));
  GuestMemory memory(instance_->memory());
  AIRSSYS_CHECK(memory.check(desc, 8, 4, "airssys-arg-area result"));
  AIRSSYS_TRY(std::uint32_t base, memory.load<std::uint32_t>(desc, "airssys-arg-area offset"));
  AIRSSYS_TRY(std::uint32_t size, memory.load<std::uint32_t>(desc + 4, "airssys-arg-area size"));
  AIRSSYS_CHECK(memory.check(base, size, 8, "airssys-arg-area"));
  arg_base_ = base;
  arg_size_ = size;
  return {};
}

Result<std::uint32_t> ComponentInstance::call_i32(std::string_view name, std::span<const Value> args) {
  AIRSSYS_TRY(auto results, instance_->call(name, args));
  if (results.size() != 1) return fail(Errc::export_signature, std::string(name) + ": expected one result");
  return results[0].u32;
}

Result<void> ComponentInstance::post_return(bool exported, std::string_view name, std::uint32_t retptr) {
  if (!exported) return {};
  Value arg = Value::i32(retptr);
  AIRSSYS_TRY(auto ignored, instance_->call(name, std::span<const Value>(&arg, 1)));
  (void)ignored;
  return {};
}

Result<void> ComponentInstance::usable() const {
  if (broken_) return fail(Errc::poisoned, "the component broke the ABI earlier: " + broken_->message());
  return {};
}

Result<tl::expected<void, std::string>> ComponentInstance::init(const Config& config) {
  AIRSSYS_CHECK(usable());
  ArgAreaAllocator alloc = arguments();
  std::vector<Value> flat;
  flat.reserve(kFlatConfig);
  AIRSSYS_CHECK(note(lower_config(alloc, config, flat)));
  AIRSSYS_TRY(std::uint32_t retptr, call_i32(kExportInit, flat));
  auto result = note(lift_init_result(GuestMemory(instance_->memory()), retptr));
  // Post-return runs even if lifting failed: the guest's return area is still the guest's to free.
  AIRSSYS_CHECK(post_return(exports_.post_init, kPostInit, retptr));
  return result;
}

Result<tl::expected<std::optional<Bytes>, std::string>> ComponentInstance::handle_message(const Message& message) {
  AIRSSYS_CHECK(usable());
  ArgAreaAllocator alloc = arguments();
  std::vector<Value> flat;
  flat.reserve(kFlatMessage);
  AIRSSYS_CHECK(note(lower_message(alloc, message, flat)));
  AIRSSYS_TRY(std::uint32_t retptr, call_i32(kExportHandleMessage, flat));
  auto result = note(lift_handle_message_result(GuestMemory(instance_->memory()), retptr));
  AIRSSYS_CHECK(post_return(exports_.post_handle_message, kPostHandleMessage, retptr));
  return result;
}

Result<void> ComponentInstance::handle_response(const Response& response) {
  AIRSSYS_CHECK(usable());
  ArgAreaAllocator alloc = arguments();
  std::vector<Value> flat;
  flat.reserve(kFlatResponse);
  AIRSSYS_CHECK(note(lower_response(alloc, response, flat)));
  AIRSSYS_TRY(auto ignored, instance_->call(kExportHandleResponse, flat));
  (void)ignored;
  return {};
}

Result<Health> ComponentInstance::health() {
  AIRSSYS_CHECK(usable());
  AIRSSYS_TRY(std::uint32_t value, call_i32(kExportHealth, {}));
  AIRSSYS_TRY(std::uint32_t health, note(lift_enum(value, 3, "lifecycle.health")));
  return static_cast<Health>(health);
}

Result<void> ComponentInstance::shutdown() {
  AIRSSYS_CHECK(usable());
  AIRSSYS_TRY(auto ignored, instance_->call(kExportShutdown, {}));
  (void)ignored;
  return {};
}

}  // namespace airssys::wasm::abi
