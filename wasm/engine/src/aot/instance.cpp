// AOT stage 3: instances of a compiled module, behind the same Instance/CallContext API.
//
// One heap block per instance: the airssys_aot_ctx, then the wasm2c instance struct (globals,
// memory and table descriptors). Guest memory is an ordinary heap block of its current size.
// Calls go through the module's one entry (setjmp inside the shared object); imports come back
// through three C callbacks into this file. Traps longjmp only over generated C frames: a host
// function returns, then the glue traps.
#include <pthread.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "aot/aot.hpp"
#include "watchdog.hpp"

namespace airssys::wasm::detail::aot {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxNesting = 64;                      // host -> guest reentrancy, as on the interpreter
constexpr std::uint32_t kMaxCallDepth = 1'000'000;
constexpr std::size_t kStackReserve = 256 << 10;     // native stack kept for host functions
// max_call_depth becomes a native stack budget of this many bytes per frame (the code keeps no
// depth counter: it cost 70 % on call-heavy code). A wasm2c frame of a small function is 16-64
// bytes, so the depth reached before the trap is at least max_call_depth.
constexpr std::uint64_t kStackBytesPerFrame = 256;

// Trap codes (wasm_rt_trap_t from wasm-rt.h 1.0.32, then ours from prelude.h / abi.h).
enum : int {
  kTrapOob = 1,
  kTrapIntOverflow = 2,
  kTrapDivByZero = 3,
  kTrapInvalidConversion = 4,
  kTrapUnreachable = 5,
  kTrapCallIndirect = 6,
  kTrapUncaughtException = 7,
  kTrapExhaustion = 8,
  kTrapIndirectOob = 102,
  kTrapIndirectNull = 103,
  kTrapNativeStack = 104,
  kTrapTableOob = 107,
};

/// The deadline passed (on the watchdog's thread): the next stack check in guest code fails and
/// its slow path, seeing the flag, reports the deadline. The guest pays no check of its own.
void interrupt(void* ctx) {
  auto& c = *static_cast<airssys_aot_ctx*>(ctx);
  __atomic_store_n(&c.interrupt, 1u, __ATOMIC_RELAXED);
  __atomic_store_n(&c.stack_limit, reinterpret_cast<const char*>(UINTPTR_MAX), __ATOMIC_RELAXED);
}

/// The lowest usable address of this thread's stack (cached per thread).
const char* stack_floor() {
  thread_local const char* floor = [] {
    pthread_attr_t attr;
    void* addr = nullptr;
    std::size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &addr, &size);
      pthread_attr_destroy(&attr);
    }
    return static_cast<const char*>(addr) + kStackReserve;
  }();
  return floor;
}

std::uint64_t to_slot(const Value& v) {
  switch (v.type) {
    case ValType::i32:
    case ValType::f32: return v.u32;
    default: return v.u64;
  }
}

Value from_slot(std::uint64_t s, ValType t) {
  Value v;
  v.type = t;
  if (t == ValType::i32 || t == ValType::f32) {
    v.u32 = static_cast<std::uint32_t>(s);
  } else {
    v.u64 = s;
  }
  return v;
}

/// Argument/result slots: on the stack for the common case.
class Slots {
 public:
  explicit Slots(std::size_t n) {
    if (n > inline_.size()) heap_.resize(n);
  }
  std::uint64_t* data() { return heap_.empty() ? inline_.data() : heap_.data(); }

 private:
  std::array<std::uint64_t, 8> inline_{};
  std::vector<std::uint64_t> heap_;
};

class AotInstance;

class Context final : public CallContext {
 public:
  explicit Context(AotInstance& self) : self_(self) {}
  std::span<std::uint8_t> memory() override;
  Result<std::vector<Value>> call(std::string_view export_name, std::span<const Value> args) override;
  void* user_data() override;

 private:
  AotInstance& self_;
};

class AotInstance final : public Instance {
 public:
  AotInstance(std::shared_ptr<const AotModule> module, const Limits& limits, void* user_data, std::string label)
      : module_(std::move(module)),
        entry_(module_->entry()),
        limits_(limits),
        user_data_(user_data),
        label_(label.empty() ? module_->info().name : std::move(label)) {}

  ~AotInstance() override {
    if (block_) {
      entry_.destroy(block_);
      std::free(block_);
    }
  }

  Result<void> create(const HostFunctions& host);

  Result<std::vector<Value>> call(std::string_view name, std::span<const Value> args) override;
  std::span<std::uint8_t> memory() override {
    std::uint64_t size = 0;
    std::uint8_t* data = entry_.memory0(block_, &size);
    return data ? std::span<std::uint8_t>(data, size) : std::span<std::uint8_t>();
  }
  const Module& module() const noexcept override { return *module_; }
  bool poisoned() const noexcept override { return poisoned_; }
  void set_limits(const Limits& limits) override {
    limits_ = limits;
    apply_caps();
    entry_.apply_caps(block_);
  }
  const Limits& limits() const noexcept override { return limits_; }
  const std::string& label() const noexcept override { return label_; }
  std::uint64_t last_call_fuel() const noexcept override { return last_call_fuel_; }

  Result<std::vector<Value>> reenter(std::string_view name, std::span<const Value> args);
  void* user_data() const noexcept { return user_data_; }

  static int on_import(void* self, std::uint32_t index, const std::uint64_t* args, std::uint64_t* results) {
    return static_cast<AotInstance*>(self)->host_call(index, args, results);
  }

 private:
  airssys_aot_ctx& ctx() { return *static_cast<airssys_aot_ctx*>(block_); }
  void apply_caps() {
    ctx().mem_cap_pages = static_cast<std::uint32_t>(std::min<std::uint64_t>(memory_cap_pages(limits_), 65535));
    ctx().table_cap = limits_.max_table_elements;
  }
  void begin_call();
  void end_call();
  Result<std::vector<Value>> invoke(std::uint32_t index, const FuncType& type, std::string_view name,
                                    std::span<const Value> args);
  int host_call(std::uint32_t index, const std::uint64_t* args, std::uint64_t* results);
  tl::unexpected<Error> poison(Errc code, std::string_view fn, std::string_view detail);
  tl::unexpected<Error> poison_from_trap(int code, std::string_view fn);
  std::string where(std::string_view fn) const { return label_ + ": " + std::string(fn); }

  std::shared_ptr<const AotModule> module_;
  const airssys_aot_module& entry_;
  Limits limits_;
  void* user_data_;
  std::string label_;
  void* block_ = nullptr;
  std::vector<BoundImport> imports_;
  Context context_{*this};

  bool poisoned_ = false;
  Error poison_error_;
  int nesting_ = 0;
  std::int64_t budget_ = 0;  // ticks at the start of the current top-level call
  std::uint64_t last_call_fuel_ = 0;
  bool armed_ = false;
  Watchdog::Key alarm_;
};

const airssys_aot_host kHostFns = {&AotInstance::on_import};

std::span<std::uint8_t> Context::memory() { return self_.memory(); }
Result<std::vector<Value>> Context::call(std::string_view name, std::span<const Value> args) {
  return self_.reenter(name, args);
}
void* Context::user_data() { return self_.user_data(); }

Result<void> AotInstance::create(const HostFunctions& host) {
  auto bound = link_imports(module_->info(), host);
  if (!bound) return tl::unexpected(bound.error());
  imports_ = std::move(*bound);
  if (auto ok = check_initial_sizes(module_->base().desc(), limits_, label_); !ok) return ok;

  block_ = std::calloc(1, entry_.block_size);
  if (!block_) return fail(Errc::memory_limit, label_ + ": the host ran out of memory while instantiating");
  auto& c = ctx();
  c.host = this;
  c.host_fns = &kHostFns;
  apply_caps();
  int code = entry_.instantiate(block_);
  if (code == AIRSSYS_AOT_OOM) return fail(Errc::memory_limit, label_ + ": the host ran out of memory while instantiating");
  if (code == kTrapOob) return fail(Errc::instantiate_failed, label_ + ": out of bounds memory access (a data segment)");
  if (code == kTrapTableOob) return fail(Errc::instantiate_failed, label_ + ": out of bounds table access (an element segment)");
  if (code != 0) return fail(Errc::instantiate_failed, label_ + ": trap " + std::to_string(code) + " while instantiating");
  if (entry_.has_start) {
    static const FuncType kNoArgs;
    begin_call();
    auto ran = invoke(entry_.nexports, kNoArgs, "(start function)", {});
    end_call();
    if (!ran) return tl::unexpected(ran.error());
  }
  return {};
}

void AotInstance::begin_call() {
  auto& c = ctx();
  budget_ = limits_.fuel_per_call ? static_cast<std::int64_t>(std::min<std::uint64_t>(limits_.fuel_per_call, INT64_MAX))
                                  : INT64_MAX;
  c.ticks = budget_;
  const char* sp = static_cast<const char*>(__builtin_frame_address(0));
  const char* floor = stack_floor();
  std::uint64_t budget = std::min<std::uint64_t>(limits_.max_stack_bytes,
                                                 std::uint64_t{std::min(limits_.max_call_depth, kMaxCallDepth)} * kStackBytesPerFrame);
  // Both before arming: the watchdog may raise the limit as soon as it is armed.
  __atomic_store_n(&c.interrupt, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&c.stack_limit, budget < static_cast<std::uint64_t>(sp > floor ? sp - floor : 0) ? sp - budget : floor,
                   __ATOMIC_RELAXED);
  if (limits_.deadline_ms != 0) {
    alarm_ = Watchdog::get().arm(&interrupt, &c, Clock::now() + std::chrono::milliseconds(limits_.deadline_ms));
    armed_ = true;
  }
}

void AotInstance::end_call() {
  if (armed_) {
    Watchdog::get().disarm(alarm_);
    armed_ = false;
  }
  std::int64_t ticks = ctx().ticks;
  last_call_fuel_ = ticks < 0 ? limits_.fuel_per_call : static_cast<std::uint64_t>(budget_ - ticks);
}

Result<std::vector<Value>> AotInstance::call(std::string_view name, std::span<const Value> args) {
  if (nesting_ > 0) return reenter(name, args);
  if (poisoned_) return fail(Errc::poisoned, label_ + ": " + poison_error_.message());
  const auto* e = module_->find(name);
  if (!e) return fail(Errc::missing_export, where(name) + ": no such exported function");
  begin_call();
  auto result = invoke(e->index, *e->type, e->name, args);
  end_call();
  return result;
}

Result<std::vector<Value>> AotInstance::reenter(std::string_view name, std::span<const Value> args) {
  if (nesting_ == 0) return fail(Errc::invalid_argument, label_ + ": CallContext used outside a host call");
  if (poisoned_) return fail(Errc::poisoned, label_ + ": " + poison_error_.message());
  const auto* e = module_->find(name);
  if (!e) return fail(Errc::missing_export, where(name) + ": no such exported function");
  return invoke(e->index, *e->type, e->name, args);
}

Result<std::vector<Value>> AotInstance::invoke(std::uint32_t index, const FuncType& type, std::string_view name,
                                               std::span<const Value> args) {
  if (auto ok = check_args(label_, name, type, args); !ok) return tl::unexpected(ok.error());
  if (nesting_ >= kMaxNesting) return poison(Errc::stack_exhausted, name, "too many nested host -> guest calls");
  Slots in(args.size()), out(type.results.size());
  for (std::size_t i = 0; i < args.size(); ++i) in.data()[i] = to_slot(args[i]);
  ++nesting_;
  int code = entry_.call(block_, index, in.data(), out.data());
  --nesting_;
  if (code != 0) return poison_from_trap(code, name);
  if (poisoned_) return tl::unexpected(poison_error_);  // a nested failure the host swallowed
  std::vector<Value> results;
  results.reserve(type.results.size());
  for (std::size_t i = 0; i < type.results.size(); ++i) results.push_back(from_slot(out.data()[i], type.results[i]));
  return results;
}

int AotInstance::host_call(std::uint32_t index, const std::uint64_t* args, std::uint64_t* results) {
  const auto& imp = imports_[index];
  const auto& type = imp.info->type;
  std::array<Value, 8> inline_args, inline_res;
  std::vector<Value> heap_args, heap_res;
  std::span<Value> a = type.params.size() <= 8 ? std::span(inline_args.data(), type.params.size())
                                               : std::span((heap_args.resize(type.params.size()), heap_args));
  std::span<Value> r = type.results.size() <= 8 ? std::span(inline_res.data(), type.results.size())
                                                : std::span((heap_res.resize(type.results.size()), heap_res));
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = from_slot(args[i], type.params[i]);
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = Value(), r[i].type = type.results[i];

  Result<void> outcome;
  try {
    outcome = imp.fn(context_, a, r);
  } catch (const std::exception& e) {
    outcome = fail(Errc::host_error, std::string("threw: ") + e.what());
  } catch (...) {
    outcome = fail(Errc::host_error, "threw a non-standard exception");
  }
  for (std::size_t i = 0; outcome && i < r.size(); ++i) {
    ValType t = type.results[i];
    bool ok = r[i].type == t && t != ValType::v128 &&
              (t == ValType::i32 || t == ValType::i64 || t == ValType::f32 || t == ValType::f64 || r[i].is_null_ref());
    if (!ok) {
      outcome = fail(Errc::host_error, "result " + std::to_string(i) + " is not a " + std::string(to_string(t)) +
                                           " (or a non-null reference)");
    } else {
      results[i] = to_slot(r[i]);
    }
  }
  if (outcome && !poisoned_) return 0;
  if (!outcome) poison(outcome.error().code, "import " + import_name(*imp.info), outcome.error().context);
  return AIRSSYS_AOT_STOP;
}

tl::unexpected<Error> AotInstance::poison(Errc code, std::string_view fn, std::string_view detail) {
  if (!poisoned_) {
    poisoned_ = true;
    poison_error_ = Error{code, where(fn) + ": " + std::string(detail)};
  }
  return tl::unexpected(poison_error_);
}

tl::unexpected<Error> AotInstance::poison_from_trap(int code, std::string_view fn) {
  if (poisoned_) return tl::unexpected(poison_error_);  // a host function failed: its error
  switch (code) {
    case AIRSSYS_AOT_FUEL:
      return poison(Errc::fuel_exhausted, fn, "used its " + std::to_string(limits_.fuel_per_call) + " instructions");
    case AIRSSYS_AOT_INTERRUPTED:
      return poison(Errc::deadline_exceeded, fn, "ran past its " + std::to_string(limits_.deadline_ms) + " ms");
    case kTrapOob: return poison(Errc::trap, fn, "out of bounds memory access");
    case kTrapIntOverflow: return poison(Errc::trap, fn, "integer overflow");
    case kTrapDivByZero: return poison(Errc::trap, fn, "integer divide by zero");
    case kTrapInvalidConversion: return poison(Errc::trap, fn, "invalid conversion to integer");
    case kTrapUnreachable: return poison(Errc::trap, fn, "unreachable executed");
    case kTrapCallIndirect: return poison(Errc::trap, fn, "indirect call signature mismatch");
    case kTrapIndirectOob: return poison(Errc::trap, fn, "undefined table index");
    case kTrapTableOob: return poison(Errc::trap, fn, "out of bounds table access");
    case kTrapIndirectNull: return poison(Errc::trap, fn, "uninitialized table element");
    case kTrapUncaughtException: return poison(Errc::trap, fn, "uncaught exception");
    case kTrapExhaustion:
    case kTrapNativeStack:
      return poison(Errc::stack_exhausted, fn,
                    "call depth passed " + std::to_string(limits_.max_call_depth) + " or value stack passed " +
                        std::to_string(limits_.max_stack_bytes) + " bytes (AOT tier: one native stack budget of min(" +
                        "max_stack_bytes, " + std::to_string(kStackBytesPerFrame) + " bytes x max_call_depth))");
    case AIRSSYS_AOT_OOM: return poison(Errc::memory_limit, fn, "the host ran out of memory");
    default: return poison(Errc::trap, fn, "trap " + std::to_string(code));
  }
}

}  // namespace

Result<std::unique_ptr<Instance>> create_instance(const AotModule& module, const HostFunctions& host,
                                                  const Limits& limits, void* user_data, std::string label) {
  try {
    auto instance = std::make_unique<AotInstance>(module.shared_from_this(), limits, user_data, std::move(label));
    if (auto ok = instance->create(host); !ok) return tl::unexpected(ok.error());
    return std::unique_ptr<Instance>(std::move(instance));
  } catch (const std::bad_alloc&) {
    return fail(Errc::memory_limit, module.info().name + ": the host ran out of memory while instantiating");
  }
}

}  // namespace airssys::wasm::detail::aot
