// Private: the decoded module and the type conversions between airssys and wabt.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include <wabt/interp/interp.h>

#include <airssys/wasm/engine.hpp>

#include "memory_pool.hpp"

namespace airssys::wasm::detail {

namespace wi = wabt::interp;

/// Interpreter instances of one module that finished cleanly, reset to their state right after
/// instantiation, waiting for the next Instance::create of the module to reuse them (instance
/// recycling, docs/engine.md). Their memories count against the kept-memory budget. Thread-safe.
class InstanceShelf {
 public:
  InstanceShelf() = default;
  InstanceShelf(const InstanceShelf&) = delete;
  InstanceShelf& operator=(const InstanceShelf&) = delete;
  ~InstanceShelf();
  /// A parked instance, or null.
  std::unique_ptr<Instance> take();
  /// Parks `instance` (holding `memory_bytes` of linear memory) unless the budget is spent; on
  /// refusal `instance` is left to the caller.
  void put(std::unique_ptr<Instance>& instance, std::size_t memory_bytes);
  /// Destroys the instances parked since before `cutoff`; returns their memories' bytes.
  std::size_t trim(std::chrono::steady_clock::time_point cutoff);

 private:
  struct Parked {
    std::unique_ptr<Instance> instance;
    std::size_t memory_bytes;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mutex_;
  std::vector<Parked> parked_;  // newest last
};

/// A validated module: the public description plus wabt's decoded form, which every instance
/// copies into its own Store. Immutable after construction, so shared freely between threads.
class ModuleImpl final : public Module, public std::enable_shared_from_this<ModuleImpl> {
 public:
  ModuleImpl(ModuleInfo info, wi::ModuleDesc desc, bool uses_bulk_ops, std::vector<std::uint8_t> bytes);
  /// The module's bytes, kept for the AOT tier (Engine::compile translates them).
  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }

  const ModuleInfo& info() const noexcept override { return info_; }
  /// Decoded template with the start function removed (instances run it under their limits).
  const wi::ModuleDesc& desc() const noexcept { return desc_; }
  std::optional<wi::Index> start_func() const noexcept { return start_; }
  /// The most values one interpreter step can push (a function entry pushes all its locals, a
  /// host call its results): bounds how far a batch can overshoot the stack limit.
  std::uint64_t max_values_per_step() const noexcept { return max_values_per_step_; }
  /// memory.fill/copy/init or table.fill/copy/init appear: one instruction can then take time
  /// proportional to the memory size, so instances check their deadline more often.
  bool uses_bulk_ops() const noexcept { return uses_bulk_ops_; }
  /// How instances set up memory 0 with a pooled buffer; null: wabt allocates it.
  const MemoryPlan* memory_plan() const noexcept { return memory_plan_ ? &*memory_plan_ : nullptr; }
  /// Where its finished instances wait for reuse, and their memories when they cannot be
  /// reused (only modules with a memory plan).
  InstanceShelf& shelf() const noexcept { return shelf_; }
  MemoryPool& memories() const noexcept { return memories_; }

 private:
  ModuleInfo info_;
  wi::ModuleDesc desc_;
  std::optional<wi::Index> start_;
  std::uint64_t max_values_per_step_ = 0;
  bool uses_bulk_ops_ = false;
  std::optional<MemoryPlan> memory_plan_;
  std::vector<std::uint8_t> bytes_;
  mutable MemoryPool memories_;
  mutable InstanceShelf shelf_;  // declared last: parked instances point into info_
};

// ---- shared by both tiers (instance.cpp) ----

/// An import bound to the host function that provides it.
struct BoundImport {
  const ImportInfo* info;
  HostFunc fn;  // copied: the HostFunctions table need not outlive the instance
};

std::string import_name(const ImportInfo& i);
/// Links every import against `host`: unknown_import / import_signature naming it.
Result<std::vector<BoundImport>> link_imports(const ModuleInfo& info, const HostFunctions& host);
/// memory_limit when an initial memory or table is already above the limits.
Result<void> check_initial_sizes(const wi::ModuleDesc& desc, const Limits& limits, const std::string& label);
/// export_signature ("<label>: <fn>: ...") unless `args` match `type` (references must be null;
/// no v128). Runs on every call: the message is built only on failure.
Result<void> check_args(std::string_view label, std::string_view fn, const FuncType& type, std::span<const Value> args);
std::uint64_t memory_cap_pages(const Limits& l);

/// A wabt value type as ours; nullopt for types the boundary does not know (never after
/// validation with default features, but kept total).
std::optional<ValType> from_wabt(wabt::Type type) noexcept;
FuncType from_wabt(const wi::FuncType& type);
ImportInfo::Kind from_wabt(wabt::ExternalKind kind) noexcept;

/// Boundary conversions for one value of a known type. References from the host must be null:
/// the host cannot name guest objects (to_wabt returns false otherwise).
bool to_wabt(const Value& in, ValType type, wi::Value& out) noexcept;
Value from_wabt(const wi::Value& in, ValType type) noexcept;

}  // namespace airssys::wasm::detail
