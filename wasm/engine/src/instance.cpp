// Link, instantiate and call stages: one wabt Store per instance, calls run in bounded batches.
//
// How limits work: a call pushes its frame on the instance's interpreter thread, then runs
// Thread::Run(n) in batches. Between batches we charge fuel, read the clock and check the call
// and value stacks. Each batch is sized so that it can neither overspend the fuel nor push the
// stacks past their limits by more than one step, so wabt's own (buggy for call_indirect) call
// stack check never fires. Anything that stops a call early poisons the instance: its
// interpreter state is mid-call and must not be resumed.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <new>
#include <stdexcept>

#include "aot/aot.hpp"
#include "module_impl.hpp"
#include "wabt_access.hpp"
#include "watchdog.hpp"

namespace airssys::wasm {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kBatch = 1000;     // instructions between limit checks (~10 us)
constexpr std::uint64_t kMinBatch = 16;
// Bytes of bulk memory work allowed per batch (~100 ms of memset) for modules that use bulk
// instructions: with a 16 MiB memory their batches are 64 instructions, not 1000.
constexpr std::uint64_t kBulkBytesPerBatch = 1ull << 30;
constexpr std::uint32_t kMaxCallDepth = 1'000'000;  // frames are reserved up front: 40 MB at most
constexpr int kMaxNesting = 64;            // host -> guest reentrancy; each level uses native stack

/// An exported function, resolved once at instantiation so call() is a lookup, not a search.
struct ExportSlot {
  std::string_view name;      // into the module's info (the module outlives the instance)
  const FuncType* type;       // ditto
  wi::Func* func;             // rooted by the wabt instance
  bool defined;               // false for a re-exported host function
};

/// A few values on the stack for the common case; host calls must not allocate per call.
class ValueBuffer {
 public:
  explicit ValueBuffer(std::size_t n) : size_(n) {
    if (n > inline_.size()) heap_.resize(n);
  }
  std::span<Value> span() { return {heap_.empty() ? inline_.data() : heap_.data(), size_}; }

 private:
  std::array<Value, 8> inline_;
  std::vector<Value> heap_;
  std::size_t size_;
};

class InstanceImpl;

/// What host functions get: the instance, seen from inside a call.
class Context final : public CallContext {
 public:
  explicit Context(InstanceImpl& self) : self_(self) {}
  std::span<std::uint8_t> memory() override;
  Result<std::vector<Value>> call(std::string_view export_name, std::span<const Value> args) override;
  void* user_data() override;

 private:
  InstanceImpl& self_;
};

class InstanceImpl final : public Instance {
 public:
  InstanceImpl(std::shared_ptr<const ModuleImpl> module, const Limits& limits, void* user_data, std::string label)
      : module_(std::move(module)),
        limits_(limits),
        user_data_(user_data),
        label_(label.empty() ? module_->info().name : std::move(label)) {}

  ~InstanceImpl() override;
  Result<void> link(const HostFunctions& host);
  Result<void> instantiate();

  // Recycling (docs/engine.md): a finished instance is reset to its state right after
  // instantiation (before the start function), parked on its module's shelf, and handed to the
  // next Instance::create of that module with that caller's imports, limits and user data.
  bool recyclable() const noexcept;
  /// Restores globals, tables, segments and memory; false if that failed (do not reuse).
  bool reset() noexcept;
  std::size_t memory_bytes() const noexcept { return memory_ ? memory_->ByteSize() : 0; }
  /// Lets go of the module while parked on its shelf (the module owns the shelf).
  std::shared_ptr<const ModuleImpl> detach_module() noexcept { return std::move(module_); }
  Result<void> reuse(std::shared_ptr<const ModuleImpl> module, const HostFunctions& host, const Limits& limits,
                     void* user_data, std::string label);

  Result<std::vector<Value>> call(std::string_view export_name, std::span<const Value> args) override;
  std::span<std::uint8_t> memory() override {
    return memory_ ? std::span(memory_->UnsafeData(), memory_->ByteSize()) : std::span<std::uint8_t>();
  }
  const Module& module() const noexcept override { return *module_; }
  bool poisoned() const noexcept override { return poisoned_; }
  void set_limits(const Limits& limits) override;
  const Limits& limits() const noexcept override { return limits_; }
  const std::string& label() const noexcept override { return label_; }
  std::uint64_t last_call_fuel() const noexcept override { return last_call_fuel_; }

  /// CallContext::call: a call back into this instance from one of its host functions.
  Result<std::vector<Value>> reenter(std::string_view export_name, std::span<const Value> args);
  void* user_data() const noexcept { return user_data_; }

 private:
  Result<void> check_initial_sizes() const;
  void apply_size_limits(wi::ModuleDesc& desc) const;
  Result<void> set_up_memory(const MemoryPlan& plan);
  void copy_active_segments(const MemoryPlan& plan, wi::Buffer& bytes) const noexcept;
  void take_snapshot();
  Result<void> run_start();
  void make_thread();
  void update_batch();
  void index_exports();
  const ExportSlot* find_export(std::string_view name) const noexcept;
  Result<void> check_args(const ExportSlot& slot, std::span<const Value> args) const;
  void begin_call();
  void end_call();
  Result<std::vector<Value>> invoke(const ExportSlot& slot, std::span<const Value> args);
  Result<void> run(std::string_view fn);
  std::uint64_t next_batch() const noexcept;
  Result<void> check_stacks(std::string_view fn);
  wabt::Result on_host_call(std::size_t index, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* trap);
  tl::unexpected<Error> poison(Errc code, std::string_view fn, std::string_view detail);
  tl::unexpected<Error> poison_from_trap(std::string_view fn, const wi::Trap::Ptr& trap);
  std::string where(std::string_view fn) const { return label_ + ": " + std::string(fn); }
  std::uint64_t depth_limit() const noexcept { return std::min(limits_.max_call_depth, kMaxCallDepth); }

  // Declaration order is destruction order in reverse: the Store outlives all that points into it.
  std::shared_ptr<const ModuleImpl> module_;
  Limits limits_;
  void* user_data_;
  std::string label_;
  wi::Store store_;
  wi::Instance::Ptr instance_;
  std::unique_ptr<wi::Thread> thread_;
  std::vector<BoundImport> imports_;
  std::vector<ExportSlot> exports_;  // sorted by name
  wi::Memory* memory_ = nullptr;
  wi::Memory* pooled_memory_ = nullptr;  // memory 0 holds a buffer from the module's MemoryPool

  /// What reset() restores: the state right after instantiation, taken only for modules with a
  /// memory plan (the memory part is the plan itself).
  struct Snapshot {
    std::vector<wi::Value> globals;
    std::vector<wi::RefVec> tables;
    std::vector<wi::ElemSegment> elems;
    std::vector<wi::DataSegment> datas;
    std::uint64_t memory_pages = 0;
  };
  std::optional<Snapshot> snapshot_;
  Context context_{*this};

  bool poisoned_ = false;
  Error poison_error_;  // the first failure; later ones are its consequences
  bool thread_stale_ = false;
  std::uint64_t batch_ = kBatch;  // instructions per batch for this module and these limits

  // The current top-level call, shared by the reentrant calls it makes.
  int nesting_ = 0;
  std::uint64_t fuel_left_ = 0;
  std::uint64_t fuel_used_ = 0;
  std::uint64_t last_call_fuel_ = 0;
  bool armed_ = false;                        // a deadline is armed for the current call
  Watchdog::Key alarm_ = 0;
  std::atomic<std::uint32_t> interrupted_{0};  // set by the watchdog when the deadline passes
  std::array<wi::Values, kMaxNesting + 1> scratch_;  // argument/result buffers per nesting level
};

std::span<std::uint8_t> Context::memory() { return self_.memory(); }
Result<std::vector<Value>> Context::call(std::string_view name, std::span<const Value> args) {
  return self_.reenter(name, args);
}
void* Context::user_data() { return self_.user_data(); }

Result<void> InstanceImpl::link(const HostFunctions& host) {
  auto bound = link_imports(module_->info(), host);
  if (!bound) return tl::unexpected(bound.error());
  imports_ = std::move(*bound);
  return {};
}

Result<void> InstanceImpl::check_initial_sizes() const {
  if (auto ok = detail::check_initial_sizes(module_->desc(), limits_, label_); !ok) return ok;
  if (module_->max_values_per_step() > limits_.max_stack_bytes / sizeof(wi::Value)) {
    return fail(Errc::stack_exhausted, label_ + ": a function needs " + std::to_string(module_->max_values_per_step()) +
                                           " stack slots, more than max_stack_bytes allows");
  }
  return {};
}

/// Lowers a declared maximum (or supplies a missing one) so the interpreter's own growth check
/// enforces our limit: memory.grow past it returns -1, as the spec says for a declared max.
void clamp(wabt::Limits& limits, const wabt::Limits& declared, std::uint64_t cap, std::uint64_t current) {
  std::uint64_t max = declared.has_max ? std::min(declared.max, cap) : cap;
  limits.max = std::max(max, current);  // never below the current size: memory does not shrink
  limits.has_max = true;
}

void InstanceImpl::apply_size_limits(wi::ModuleDesc& desc) const {
  for (auto& m : desc.memories) clamp(m.type.limits, m.type.limits, memory_cap_pages(limits_), m.type.limits.initial);
  for (auto& t : desc.tables) clamp(t.type.limits, t.type.limits, limits_.max_table_elements, t.type.limits.initial);
}

/// Bounds the wall time of one batch: a bulk instruction over the whole memory counts as one.
void InstanceImpl::update_batch() {
  batch_ = kBatch;
  if (module_->uses_bulk_ops()) {
    std::uint64_t bytes = std::max<std::uint64_t>(limits_.max_memory_bytes, limits_.max_table_elements * 8);
    batch_ = std::clamp<std::uint64_t>(kBulkBytesPerBatch / std::max<std::uint64_t>(bytes, 1), kMinBatch, kBatch);
  }
}

void InstanceImpl::make_thread() {
  thread_ = std::make_unique<wi::Thread>(store_);
  // wabt traps when the frame vector is full; run() keeps below max_call_depth + 1 itself, so
  // the capacity only needs that plus slack for host frames.
  std::vector<wi::Frame> frames;
  frames.reserve(depth_limit() + 4);
  detail::frames(*thread_).swap(frames);
  thread_stale_ = false;
}

void InstanceImpl::index_exports() {
  const auto& infos = module_->info().exports;
  const auto& refs = instance_->exports();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].kind != ImportInfo::Kind::func) continue;
    auto* func = store_.UnsafeGet<wi::Func>(refs[i]).get();
    exports_.push_back(ExportSlot{infos[i].name, &infos[i].type, func, wabt::isa<wi::DefinedFunc>(func)});
  }
  std::sort(exports_.begin(), exports_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (!instance_->memories().empty()) {  // memory 0: the one host functions read and write
    memory_ = store_.UnsafeGet<wi::Memory>(instance_->memories().front()).get();
  }
}

InstanceImpl::~InstanceImpl() {
  if (!pooled_memory_ || !module_) return;  // no module: parked, and the module is going
  auto& bytes = detail::data(*pooled_memory_);
  module_->memories().give(std::move(bytes));
  detail::pages(*pooled_memory_) = bytes.size() / WABT_PAGE_SIZE;  // 0 if the pool kept it
}

/// Memory 0 gets a pooled buffer and the active data segments, as wabt's own instantiation
/// would have done (with the same error); wabt created it with 0 pages and left the segments
/// passive (see instantiate).
Result<void> InstanceImpl::set_up_memory(const MemoryPlan& plan) {
  auto* mem = store_.UnsafeGet<wi::Memory>(instance_->memories().front()).get();
  auto& bytes = detail::data(*mem);
  bytes = module_->memories().take(plan.initial_pages * WABT_PAGE_SIZE);
  detail::pages(*mem) = plan.initial_pages;
  detail::limits(*mem).initial = plan.initial_pages;
  pooled_memory_ = mem;
  auto& segments = instance_->datas();
  for (const auto& active : plan.active) {
    const std::uint64_t end = std::uint64_t{active.offset} + segments[active.index].size();
    if (end > bytes.size()) {
      return fail(Errc::instantiate_failed, label_ + ": out of bounds memory access: data segment is out of bounds: [" +
                                                std::to_string(active.offset) + ", " + std::to_string(end) +
                                                ") >= max value " + std::to_string(bytes.size()));
    }
  }
  copy_active_segments(plan, bytes);
  for (const auto& active : plan.active) segments[active.index].Drop();
  return {};
}

/// Bounds are checked once, by set_up_memory: a reset copies into a memory of the same size.
void InstanceImpl::copy_active_segments(const MemoryPlan& plan, wi::Buffer& bytes) const noexcept {
  for (const auto& active : plan.active) {
    const auto& data = instance_->datas()[active.index].desc().data;
    std::copy(data.begin(), data.end(), bytes.begin() + active.offset);
  }
}

void InstanceImpl::take_snapshot() {
  Snapshot snap;
  for (const auto& ref : instance_->globals()) snap.globals.push_back(store_.UnsafeGet<wi::Global>(ref)->Get());
  for (const auto& ref : instance_->tables()) snap.tables.push_back(store_.UnsafeGet<wi::Table>(ref)->elements());
  snap.elems = instance_->elems();
  snap.datas = instance_->datas();
  snap.memory_pages = memory_->PageSize();
  snapshot_ = std::move(snap);
}

bool InstanceImpl::recyclable() const noexcept {
  return snapshot_ && module_ && !poisoned_ && nesting_ == 0 && memory_bytes() <= kMaxKeptBuffer &&
         detail::frames(*thread_).empty() && detail::values(*thread_).empty();
}

bool InstanceImpl::reset() noexcept {
  const auto& snap = *snapshot_;
  try {
    const auto& globals = instance_->globals();
    for (std::size_t i = 0; i < globals.size(); ++i) store_.UnsafeGet<wi::Global>(globals[i])->UnsafeSet(snap.globals[i]);
    const auto& tables = instance_->tables();
    for (std::size_t i = 0; i < tables.size(); ++i) {
      auto* table = store_.UnsafeGet<wi::Table>(tables[i]).get();
      detail::elements(*table) = snap.tables[i];
      detail::limits(*table).initial = snap.tables[i].size();
    }
    instance_->elems() = snap.elems;
    instance_->datas() = snap.datas;
  } catch (...) {
    return false;
  }
  // Shrunk first (the vector keeps its capacity; growing again zero-fills), then cleared.
  auto& bytes = detail::data(*memory_);
  bytes.resize(snap.memory_pages * WABT_PAGE_SIZE);  // never grows: memory does not shrink
  clear_memory(bytes);
  detail::pages(*memory_) = snap.memory_pages;
  detail::limits(*memory_).initial = snap.memory_pages;
  copy_active_segments(*module_->memory_plan(), bytes);
  // Nothing of the last caller is kept while parked: its host functions (whose closures may
  // own things) and its user data.
  imports_.clear();
  user_data_ = nullptr;
  last_call_fuel_ = 0;
  return true;
}

Result<void> InstanceImpl::reuse(std::shared_ptr<const ModuleImpl> module, const HostFunctions& host,
                                 const Limits& limits, void* user_data, std::string label) {
  module_ = std::move(module);
  user_data_ = user_data;
  label_ = label.empty() ? module_->info().name : std::move(label);
  if (auto ok = link(host); !ok) return ok;
  set_limits(limits);
  if (auto ok = check_initial_sizes(); !ok) return ok;
  return run_start();
}

/// Runs the start function, if any, under the limits: at instantiation and at each reuse.
Result<void> InstanceImpl::run_start() {
  auto start = module_->start_func();
  if (!start) return {};
  auto* func = store_.UnsafeGet<wi::Func>(instance_->funcs()[*start]).get();
  static const FuncType kNoArgs;
  ExportSlot slot{"(start function)", &kNoArgs, func, wabt::isa<wi::DefinedFunc>(func)};
  if (thread_stale_) make_thread();
  begin_call();
  auto ran = invoke(slot, {});
  end_call();
  if (!ran) return tl::unexpected(ran.error());
  return {};
}

Result<void> InstanceImpl::instantiate() {
  if (auto ok = check_initial_sizes(); !ok) return ok;
  update_batch();
  wi::ModuleDesc desc = module_->desc();  // each instance owns its copy: separate Store, no sharing
  apply_size_limits(desc);
  const MemoryPlan* plan = module_->memory_plan();
  if (plan) {  // memory 0 and its active segments are set up after wabt's instantiation
    desc.memories.front().type.limits.initial = 0;
    for (const auto& active : plan->active) desc.datas[active.index].mode = wi::SegmentMode::Passive;
  }
  auto mod = wi::Module::New(store_, std::move(desc));

  wi::RefVec imports;
  imports.reserve(imports_.size());
  for (std::size_t i = 0; i < imports_.size(); ++i) {
    const auto& type = *wabt::cast<wi::FuncType>(module_->desc().imports[i].type.type.get());
    auto callback = [this, i](wi::Thread&, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* trap) {
      return on_host_call(i, params, results, trap);
    };
    imports.push_back(wi::HostFunc::New(store_, type, callback).ref());
  }

  wi::Trap::Ptr trap;
  instance_ = wi::Instance::Instantiate(store_, mod.ref(), imports, &trap);
  if (!instance_) return fail(Errc::instantiate_failed, label_ + ": " + (trap ? trap->message() : "unknown reason"));
  if (plan) {
    if (auto ok = set_up_memory(*plan); !ok) return ok;
  }
  index_exports();
  make_thread();
  if (plan) take_snapshot();
  return run_start();
}

void InstanceImpl::set_limits(const Limits& limits) {
  bool depth_changed = limits.max_call_depth != limits_.max_call_depth;
  limits_ = limits;
  update_batch();
  if (instance_) {
    const auto& mems = instance_->memories();
    for (std::size_t i = 0; i < mems.size() && i < module_->desc().memories.size(); ++i) {
      auto* m = store_.UnsafeGet<wi::Memory>(mems[i]).get();
      clamp(detail::limits(*m), module_->desc().memories[i].type.limits, memory_cap_pages(limits_), m->PageSize());
    }
    const auto& tables = instance_->tables();
    for (std::size_t i = 0; i < tables.size() && i < module_->desc().tables.size(); ++i) {
      auto* t = store_.UnsafeGet<wi::Table>(tables[i]).get();
      clamp(detail::limits(*t), module_->desc().tables[i].type.limits, limits_.max_table_elements, t->size());
    }
  }
  // The frame vector cannot be resized under a running call; swap it at the next top-level call.
  if (depth_changed) thread_stale_ = true;
}

const ExportSlot* InstanceImpl::find_export(std::string_view name) const noexcept {
  auto it = std::lower_bound(exports_.begin(), exports_.end(), name,
                             [](const ExportSlot& s, std::string_view n) { return s.name < n; });
  return it != exports_.end() && it->name == name ? &*it : nullptr;
}

Result<void> InstanceImpl::check_args(const ExportSlot& slot, std::span<const Value> args) const {
  return detail::check_args(label_, slot.name, *slot.type, args);
}

void InstanceImpl::begin_call() {
  fuel_left_ = limits_.fuel_per_call;
  fuel_used_ = 0;
  interrupted_.store(0, std::memory_order_relaxed);
  if (limits_.deadline_ms != 0) {
    // The watchdog raises a flag the batches check: cheaper than reading the clock after each.
    alarm_ = Watchdog::get().arm([](void* flag) { static_cast<std::atomic<std::uint32_t>*>(flag)->store(1, std::memory_order_relaxed); },
                                 &interrupted_, Clock::now() + std::chrono::milliseconds(limits_.deadline_ms));
    armed_ = true;
  }
}

void InstanceImpl::end_call() {
  if (armed_) {
    Watchdog::get().disarm(alarm_);
    armed_ = false;
  }
  last_call_fuel_ = fuel_used_;
}

Result<std::vector<Value>> InstanceImpl::call(std::string_view name, std::span<const Value> args) {
  if (nesting_ > 0) return reenter(name, args);  // a host function called us directly
  if (poisoned_) return fail(Errc::poisoned, label_ + ": " + poison_error_.message());
  const auto* slot = find_export(name);
  if (!slot) return fail(Errc::missing_export, where(name) + ": no such exported function");
  if (thread_stale_) make_thread();
  begin_call();
  auto result = invoke(*slot, args);
  end_call();
  return result;
}

Result<std::vector<Value>> InstanceImpl::reenter(std::string_view name, std::span<const Value> args) {
  if (nesting_ == 0) return fail(Errc::invalid_argument, label_ + ": CallContext used outside a host call");
  if (poisoned_) return fail(Errc::poisoned, label_ + ": " + poison_error_.message());
  const auto* slot = find_export(name);
  if (!slot) return fail(Errc::missing_export, where(name) + ": no such exported function");
  return invoke(*slot, args);
}

/// Runs one exported function on the instance's thread; used for top-level and reentrant calls.
Result<std::vector<Value>> InstanceImpl::invoke(const ExportSlot& slot, std::span<const Value> args) {
  if (auto ok = check_args(slot, args); !ok) return tl::unexpected(ok.error());
  if (nesting_ >= kMaxNesting) return poison(Errc::stack_exhausted, slot.name, "too many nested host -> guest calls");
  auto& buffer = scratch_[nesting_];
  buffer.resize(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) to_wabt(args[i], args[i].type, buffer[i]);

  ++nesting_;
  struct Leave {
    int& n;
    ~Leave() { --n; }
  } leave{nesting_};

  const auto& wtype = slot.func->type();
  if (slot.defined) {
    if (auto ok = check_stacks(slot.name); !ok) return tl::unexpected(ok.error());
    wi::Trap::Ptr trap;
    push_values(*thread_, wtype.params, buffer);
    if (push_call(*thread_, *wabt::cast<wi::DefinedFunc>(slot.func), &trap) == wi::RunResult::Trap) {
      return poison_from_trap(slot.name, trap);
    }
    if (auto ok = run(slot.name); !ok) return tl::unexpected(ok.error());
    pop_values(*thread_, wtype.results, &buffer);
  } else {
    // A re-exported import: call the host function directly, as wabt would.
    wi::Values results;
    wi::Trap::Ptr trap;
    if (wabt::Failed(slot.func->Call(*thread_, buffer, results, &trap))) return poison_from_trap(slot.name, trap);
    buffer = std::move(results);
  }

  std::vector<Value> out;
  out.reserve(buffer.size());
  for (std::size_t i = 0; i < buffer.size(); ++i) out.push_back(from_wabt(buffer[i], slot.type->results[i]));
  return out;
}

/// Largest batch that cannot overspend fuel nor push the stacks more than one step past a limit.
/// Hot: runs once per call for short calls, so the division is skipped when there is room.
std::uint64_t InstanceImpl::next_batch() const noexcept {
  std::uint64_t batch = batch_;
  if (limits_.fuel_per_call) batch = std::min(batch, fuel_left_);
  auto& thread = *thread_;
  std::uint64_t frames = detail::frames(thread).size();
  std::uint64_t depth = depth_limit();
  if (frames + batch > depth) batch = std::max<std::uint64_t>(1, depth > frames ? depth - frames : 0);
  std::uint64_t values = detail::values(thread).size();
  std::uint64_t cap = limits_.max_stack_bytes / sizeof(wi::Value);
  std::uint64_t per_step = module_->max_values_per_step();
  if (values + batch * per_step > cap) {
    std::uint64_t room = cap > values ? (cap - values) / per_step : 0;
    batch = std::min(batch, std::max<std::uint64_t>(1, room));
  }
  return batch;
}

Result<void> InstanceImpl::check_stacks(std::string_view fn) {
  auto& thread = *thread_;
  if (detail::frames(thread).size() >= depth_limit()) {
    return poison(Errc::stack_exhausted, fn, "call depth passed " + std::to_string(depth_limit()));
  }
  if (detail::values(thread).size() > limits_.max_stack_bytes / sizeof(wi::Value)) {
    return poison(Errc::stack_exhausted, fn, "value stack passed " + std::to_string(limits_.max_stack_bytes) + " bytes");
  }
  return {};
}

Result<void> InstanceImpl::run(std::string_view fn) {
  wi::Trap::Ptr trap;
  try {
    for (;;) {
      if (limits_.fuel_per_call && fuel_left_ == 0) {
        return poison(Errc::fuel_exhausted, fn, "used its " + std::to_string(limits_.fuel_per_call) + " instructions");
      }
      std::uint64_t batch = next_batch();
      auto result = thread_->Run(static_cast<int>(batch), &trap);
      fuel_used_ += batch;
      fuel_left_ -= std::min(fuel_left_, batch);
      if (result == wi::RunResult::Return) return {};
      if (result == wi::RunResult::Trap) return poison_from_trap(fn, trap);
      if (result == wi::RunResult::Exception) return poison(Errc::trap, fn, "uncaught exception");
      if (auto ok = check_stacks(fn); !ok) return ok;
      if (interrupted_.load(std::memory_order_relaxed) != 0) {
        return poison(Errc::deadline_exceeded, fn, "ran past its " + std::to_string(limits_.deadline_ms) + " ms");
      }
    }
  } catch (const std::bad_alloc&) {
    return poison(Errc::memory_limit, fn, "the host ran out of memory");
  } catch (const std::length_error&) {
    return poison(Errc::memory_limit, fn, "the host ran out of memory");
  }
}

wabt::Result InstanceImpl::on_host_call(std::size_t index, const wi::Values& params, wi::Values& results,
                                        wi::Trap::Ptr* trap) {
  const auto& imp = imports_[index];
  const auto& type = imp.info->type;
  ValueBuffer args(params.size()), res(results.size());
  for (std::size_t i = 0; i < params.size(); ++i) args.span()[i] = from_wabt(params[i], type.params[i]);
  for (std::size_t i = 0; i < results.size(); ++i) res.span()[i].type = type.results[i];

  Result<void> outcome;
  try {
    outcome = imp.fn(context_, args.span(), res.span());
  } catch (const std::exception& e) {
    outcome = fail(Errc::host_error, std::string("threw: ") + e.what());
  } catch (...) {
    outcome = fail(Errc::host_error, "threw a non-standard exception");
  }
  for (std::size_t i = 0; outcome && i < results.size(); ++i) {
    if (!to_wabt(res.span()[i], type.results[i], results[i])) {
      outcome = fail(Errc::host_error, "result " + std::to_string(i) + " is not a " +
                                           std::string(to_string(type.results[i])) + " (or a non-null reference)");
    }
  }
  // A nested call that failed poisoned us; the guest must not continue even if the host
  // function swallowed that error.
  if (outcome && !poisoned_) return wabt::Result::Ok;
  if (!outcome) poison(outcome.error().code, "import " + import_name(*imp.info), outcome.error().context);
  *trap = wi::Trap::New(store_, "host function failed");
  return wabt::Result::Error;
}

tl::unexpected<Error> InstanceImpl::poison(Errc code, std::string_view fn, std::string_view detail) {
  if (!poisoned_) {
    poisoned_ = true;
    poison_error_ = Error{code, where(fn) + ": " + std::string(detail)};
  }
  return tl::unexpected(poison_error_);
}

tl::unexpected<Error> InstanceImpl::poison_from_trap(std::string_view fn, const wi::Trap::Ptr& trap) {
  if (poisoned_) return tl::unexpected(poison_error_);  // the trap a host failure raised
  std::string message = trap ? trap->message() : "unknown trap";
  return poison(message == "call stack exhausted" ? Errc::stack_exhausted : Errc::trap, fn, message);
}

std::atomic<bool> recycling{true};
std::atomic<std::size_t> parked_count{0};
std::atomic<std::uint64_t> reused_count{0};
constexpr std::size_t kMaxParked = 1024;  // process-wide, besides the memory budget

/// Gives back what parking an instance with this memory charge took from the budgets.
void unpark(std::size_t charge) noexcept {
  release_kept(charge);
  parked_count.fetch_sub(1, std::memory_order_relaxed);
}

/// What Instance::create hands out for a module whose instances can be recycled: forwards to
/// the InstanceImpl and, when dropped after a clean finish, resets it and parks it on the
/// module's shelf instead of destroying it.
class Lease final : public Instance {
 public:
  explicit Lease(std::unique_ptr<InstanceImpl> impl) : impl_(std::move(impl)) {}
  ~Lease() override {
    if (!recycling.load(std::memory_order_relaxed) || !impl_->recyclable() || !impl_->reset()) return;
    const std::size_t bytes = impl_->memory_bytes();
    auto module = impl_->detach_module();  // kept alive here until the instance is parked
    std::unique_ptr<Instance> parked = std::move(impl_);
    module->shelf().put(parked, bytes);
  }
  Result<std::vector<Value>> call(std::string_view name, std::span<const Value> args) override {
    return impl_->call(name, args);
  }
  std::span<std::uint8_t> memory() override { return impl_->memory(); }
  const Module& module() const noexcept override { return impl_->module(); }
  bool poisoned() const noexcept override { return impl_->poisoned(); }
  void set_limits(const Limits& limits) override { impl_->set_limits(limits); }
  const Limits& limits() const noexcept override { return impl_->limits(); }
  const std::string& label() const noexcept override { return impl_->label(); }
  std::uint64_t last_call_fuel() const noexcept override { return impl_->last_call_fuel(); }

 private:
  std::unique_ptr<InstanceImpl> impl_;
};

/// A parked instance of `module` made ready for a new caller, or null if none is parked (or
/// the parked one cannot serve this caller: then it is dropped and the error returned).
Result<std::unique_ptr<Instance>> reuse_parked(const ModuleImpl& module, const HostFunctions& host,
                                               const Limits& limits, void* user_data, std::string& label) {
  std::unique_ptr<Instance> parked = module.shelf().take();
  if (!parked) return std::unique_ptr<Instance>();
  std::unique_ptr<InstanceImpl> impl(static_cast<InstanceImpl*>(parked.release()));
  if (auto ok = impl->reuse(module.shared_from_this(), host, limits, user_data, std::move(label)); !ok) {
    return tl::unexpected(ok.error());
  }
  reused_count.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<Instance>(std::make_unique<Lease>(std::move(impl)));
}

}  // namespace

InstanceShelf::~InstanceShelf() {
  for (auto& p : parked_) unpark(p.memory_bytes);
}

std::unique_ptr<Instance> InstanceShelf::take() {
  std::lock_guard lock(mutex_);
  if (parked_.empty()) return nullptr;
  Parked p = std::move(parked_.back());
  parked_.pop_back();
  unpark(p.memory_bytes);
  return std::move(p.instance);
}

void InstanceShelf::put(std::unique_ptr<Instance>& instance, std::size_t memory_bytes) {
  const std::size_t charge = std::max<std::size_t>(memory_bytes, WABT_PAGE_SIZE);  // 0-page memories too
  if (parked_count.fetch_add(1, std::memory_order_relaxed) >= kMaxParked || !reserve_kept(charge)) {
    parked_count.fetch_sub(1, std::memory_order_relaxed);  // the count was taken, the memory not
    return;
  }
  std::lock_guard lock(mutex_);
  try {
    parked_.push_back(Parked{std::move(instance), charge, std::chrono::steady_clock::now()});
  } catch (...) {
    unpark(charge);
  }
}

std::size_t InstanceShelf::trim(std::chrono::steady_clock::time_point cutoff) {
  std::vector<Parked> old;  // destroyed outside the lock
  std::size_t bytes = 0;
  {
    std::lock_guard lock(mutex_);
    auto young = std::find_if(parked_.begin(), parked_.end(), [&](const Parked& p) { return p.since >= cutoff; });
    std::move(parked_.begin(), young, std::back_inserter(old));
    parked_.erase(parked_.begin(), young);
  }
  for (const auto& p : old) {
    bytes += p.memory_bytes;
    unpark(p.memory_bytes);
  }
  return bytes;
}

}  // namespace detail

void set_instance_recycling(bool on) noexcept { detail::recycling.store(on, std::memory_order_relaxed); }

RecyclingStats instance_recycling_stats() noexcept {
  return {detail::reused_count.load(std::memory_order_relaxed), detail::parked_count.load(std::memory_order_relaxed)};
}

Result<std::unique_ptr<Instance>> Instance::create(const Module& module, const HostFunctions& host,
                                                   const Limits& limits, void* user_data, std::string label) {
  if (const auto* aot = dynamic_cast<const detail::aot::AotModule*>(&module)) {
    return detail::aot::create_instance(*aot, host, limits, user_data, std::move(label));
  }
  const auto* impl = dynamic_cast<const detail::ModuleImpl*>(&module);
  if (!impl) return fail(Errc::invalid_argument, "Instance::create: the module was not loaded by an Engine");
  try {
    if (impl->memory_plan() && detail::recycling.load(std::memory_order_relaxed)) {
      auto reused = detail::reuse_parked(*impl, host, limits, user_data, label);
      if (!reused || *reused) return reused;
    }
    auto instance = std::make_unique<detail::InstanceImpl>(impl->shared_from_this(), limits, user_data, std::move(label));
    if (auto ok = instance->link(host); !ok) return tl::unexpected(ok.error());
    if (auto ok = instance->instantiate(); !ok) return tl::unexpected(ok.error());
    if (impl->memory_plan()) return std::unique_ptr<Instance>(std::make_unique<detail::Lease>(std::move(instance)));
    return std::unique_ptr<Instance>(std::move(instance));
  } catch (const std::bad_alloc&) {  // limits allow more than the host has (e.g. a huge call depth)
    return fail(Errc::memory_limit, impl->info().name + ": the host ran out of memory while instantiating");
  } catch (const std::length_error&) {
    return fail(Errc::memory_limit, impl->info().name + ": a limit asks for more memory than can be allocated");
  }
}

}  // namespace airssys::wasm
