// Layer 1: WebAssembly execution. Start here to run a module.
//
//   Engine engine;                                   // owns the module cache
//   auto mod  = engine.load_file("echo.wasm");       // decode + validate, cached by content hash
//   HostFunctions host;                              // (interface, name) -> C++ callable
//   host.define("env", "now", {{}, {ValType::i64}}, [](CallContext&, auto args, auto results) {...});
//   auto inst = Instance::create(*mod, host, limits); // link (signature-checked) + instantiate
//   auto r    = inst->call("add", {Value::i32(1), Value::i32(2)});
//
// wabt never appears in this header: the interpreter and the ahead-of-time tier sit behind it.
//   auto native = engine.compile(*mod);              // AOT: wasm2c + cc, cached; same Instance API
// Thread-safety: Engine and Module are safe to share between threads; an Instance is used by one
// thread at a time (its actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <airssys/error.hpp>

namespace airssys::wasm {

/// v128 appears in signatures of SIMD modules; such functions can be inspected but not called
/// from the host (the boundary carries scalars and references only).
enum class ValType : std::uint8_t { i32, i64, f32, f64, funcref, externref, v128 };

/// "i32", "f64", "funcref", ...
std::string_view to_string(ValType type) noexcept;

/// A core WebAssembly value. References (funcref/externref) are opaque: `u64` holds an
/// identity that is only meaningful for comparison; the host may pass only null references
/// (`Value::null(type)`) into a guest.
struct Value {
  ValType type = ValType::i32;
  union {
    std::uint32_t u32;
    std::uint64_t u64;
    float f32;
    double f64;
  };
  Value() : u64(0) {}
  static Value i32(std::uint32_t v) { Value x; x.type = ValType::i32; x.u32 = v; return x; }
  static Value i64(std::uint64_t v) { Value x; x.type = ValType::i64; x.u64 = v; return x; }
  static Value f32v(float v) { Value x; x.type = ValType::f32; x.f32 = v; return x; }
  static Value f64v(double v) { Value x; x.type = ValType::f64; x.f64 = v; return x; }
  static Value null(ValType ref_type) { Value x; x.type = ref_type; x.u64 = kNullRef; return x; }
  bool is_null_ref() const noexcept { return u64 == kNullRef; }
  static constexpr std::uint64_t kNullRef = 0;
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  friend bool operator==(const FuncType&, const FuncType&) = default;
};

/// "(i32, i32) -> i64"
std::string to_string(const FuncType& type);

struct ImportInfo {
  std::string module;  ///< e.g. "airssys:component/messaging@0.1.0"
  std::string name;    ///< e.g. "send"
  enum class Kind : std::uint8_t { func, table, memory, global, tag } kind = Kind::func;
  FuncType type;  ///< for functions
};

struct ExportInfo {
  std::string name;
  ImportInfo::Kind kind = ImportInfo::Kind::func;
  FuncType type;  ///< for functions
};

struct MemoryInfo {
  std::uint64_t initial_pages = 0;
  std::optional<std::uint64_t> max_pages;
};

/// What inspection reports about a module.
struct ModuleInfo {
  std::string name;  ///< file name or caller-given label
  std::vector<ImportInfo> imports;
  std::vector<ExportInfo> exports;
  std::vector<MemoryInfo> memories;
  std::size_t size_bytes = 0;
  std::string sha256;  ///< hex content hash; the cache key
};

/// How a module's code runs: the wabt interpreter, or native code compiled ahead of time from
/// wasm2c's C output (docs/engine.md, "AOT tier"). Both give the same results, traps and limits.
enum class Tier : std::uint8_t { interp, aot };

/// "interp", "aot"
std::string_view to_string(Tier tier) noexcept;

/// A decoded, validated, immutable module. Instantiate it many times.
class Module {
 public:
  virtual ~Module() = default;
  virtual const ModuleInfo& info() const noexcept = 0;
  virtual Tier tier() const noexcept { return Tier::interp; }
  const ExportInfo* find_export(std::string_view name) const noexcept;
};

/// Where and how the AOT tier compiles. Empty fields take their defaults.
struct AotOptions {
  /// Default: $AIRSSYS_AOT_CACHE, else $XDG_CACHE_HOME/airssys/aot, else $HOME/.cache/airssys/aot.
  /// Created with mode 0700; refused if another user owns it.
  std::filesystem::path cache_dir;
  std::string compiler;            ///< default: $AIRSSYS_AOT_CC, else "cc"
  std::vector<std::string> flags;  ///< default: {"-O3"} (the release preset compiles native code at -O3 too)
};

/// What one Engine::compile did.
struct AotStats {
  bool cache_hit = false;
  double translate_ms = 0;  ///< wasm2c (wabt's C writer, in process) + instrumentation
  double compile_ms = 0;    ///< the C compiler
  double load_ms = 0;       ///< hash check + dlopen
  std::size_t c_bytes = 0;  ///< generated C
  std::size_t so_bytes = 0;
  std::filesystem::path so_path;  ///< the cache entry
};

/// Loads and caches modules by content hash. Loading identical bytes again returns the cached
/// module (whose info().name is the name it was first loaded under). Cached modules live as long
/// as the Engine. Thread-safe.
class Engine {
 public:
  Engine();
  explicit Engine(AotOptions aot);
  ~Engine();
  /// Errors: io_error, malformed_module / invalid_module with the name, byte offset and reason;
  /// with Tier::aot also those of compile().
  Result<std::shared_ptr<const Module>> load(std::span<const std::uint8_t> bytes, std::string name = "<bytes>",
                                             Tier tier = Tier::interp);
  Result<std::shared_ptr<const Module>> load_file(const std::filesystem::path& path, Tier tier = Tier::interp);
  /// The same module as native code (Tier::aot): translated by wasm2c, compiled by the system C
  /// compiler into the cache directory (keyed by content hash, compiler version and flags; an
  /// entry whose bytes do not match its recorded hash is rebuilt, never loaded), then loaded.
  /// Cached per Engine like load(). Takes milliseconds to seconds on a miss, about a millisecond
  /// on a hit. Errors: compile_failed (with the compiler's first lines), io_error (cache
  /// directory), unknown_import (a non-function import: the host provides functions only).
  Result<std::shared_ptr<const Module>> compile(const Module& module, AotStats* stats = nullptr);
  std::size_t cached_modules() const;
  /// Frees what the cached modules keep for reuse (instance recycling: parked instances and the
  /// cleared memories kept for new ones) that has waited longer than `unused_for`; 0: all of it.
  /// Returns the bytes of linear memory freed. HostSystem calls it on its idle sweep.
  std::size_t trim_recycled(std::chrono::milliseconds unused_for);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Per-instance limits. Hitting one is a typed error; the instance is then poisoned.
/// As described here for the interpreter; on the AOT tier fuel is charged per function entry and
/// loop iteration (static instruction counts, within 0.5x-2x of the interpreter's count), the
/// deadline is a watchdog flag checked at entries and loop headers, and max_call_depth and
/// max_stack_bytes become one native stack budget (docs/engine.md, "AOT tier").
/// Fuel and the deadline are checked between batches of at most 1000 instructions (fewer for
/// modules with bulk memory instructions), so a call stops within one batch of its deadline and
/// exactly at its fuel. A reentrant call (host -> guest) shares its caller's budget and may
/// overspend it by at most one batch per nesting level.
struct Limits {
  std::uint64_t max_memory_bytes = 16u << 20;  ///< enforced even if the module declares more/no max
  std::uint64_t fuel_per_call = 0;              ///< instruction budget per call; 0 = unlimited
  std::uint32_t deadline_ms = 0;                ///< wall-clock budget per call; 0 = none
  std::uint32_t max_call_depth = 10'000;        ///< guest (and host) frames per call; at most 1'000'000
  std::uint32_t max_table_elements = 100'000;   ///< per table, like max_memory_bytes for tables
  std::uint64_t max_stack_bytes = 8u << 20;     ///< interpreter value stack (locals + operands)
};

class Instance;

/// What a host function sees of its caller.
class CallContext {
 public:
  virtual ~CallContext() = default;
  /// The caller's linear memory 0 (empty span if it has none). Re-fetch after any call back into
  /// the guest: memory may grow and move.
  virtual std::span<std::uint8_t> memory() = 0;
  /// Call back into the caller's instance (e.g. its cabi_realloc) from inside a host function.
  virtual Result<std::vector<Value>> call(std::string_view export_name, std::span<const Value> args) = 0;
  /// The embedder's per-instance pointer given at Instance::create.
  virtual void* user_data() = 0;
};

/// A host function: read args, write results (sized per its type). An error aborts the guest call
/// with that error (the instance is poisoned).
using HostFunc = std::function<Result<void>(CallContext&, std::span<const Value> args, std::span<Value> results)>;

/// The set of functions a host offers to guests, bound by (module, name) and checked by signature
/// at link time.
class HostFunctions {
 public:
  void define(std::string module, std::string name, FuncType type, HostFunc fn);
  struct Entry {
    std::string module, name;
    FuncType type;
    HostFunc fn;
  };
  const Entry* find(std::string_view module, std::string_view name) const noexcept;
  const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// Instance recycling, on by default: an interpreter instance that is destroyed after a clean
/// finish (not poisoned, not inside a call) is reset to its state right after instantiation --
/// memory cleared and its data segments copied back, globals, tables and segments restored --
/// and kept for the next Instance::create of the same module, which then runs only the start
/// function. Applies to modules with one memory whose active data segments have constant
/// offsets (what C, C++ and AssemblyScript produce); process-wide, bounded (1,024 instances,
/// 64 MiB of their memories). Off: every instance is built from the module anew.
void set_instance_recycling(bool on) noexcept;
/// Process-wide: how many Instance::create calls reused a parked instance, and how many are
/// parked now.
struct RecyclingStats {
  std::uint64_t reused = 0;
  std::uint64_t parked = 0;
};
RecyclingStats instance_recycling_stats() noexcept;

/// One instance: its own memory, globals, tables.
class Instance {
 public:
  /// Links every import against `host` (unknown_import / import_signature naming it) and
  /// instantiates (runs the start function under the limits).
  static Result<std::unique_ptr<Instance>> create(const Module& module, const HostFunctions& host,
                                                  const Limits& limits, void* user_data = nullptr,
                                                  std::string label = {});
  virtual ~Instance() = default;

  /// Calls an exported function. Errors: missing_export, export_signature (argument types),
  /// trap, fuel_exhausted, deadline_exceeded, memory_limit, stack_exhausted, poisoned, host_error.
  virtual Result<std::vector<Value>> call(std::string_view export_name, std::span<const Value> args) = 0;
  virtual std::span<std::uint8_t> memory() = 0;
  virtual const Module& module() const noexcept = 0;
  virtual bool poisoned() const noexcept = 0;
  virtual void set_limits(const Limits& limits) = 0;
  virtual const Limits& limits() const noexcept = 0;
  virtual const std::string& label() const noexcept = 0;
  /// Fuel charged to the most recent call (top-level calls only). Exact when the call ran out of
  /// fuel; otherwise rounded up to the batch it finished in (at most 1000 over).
  virtual std::uint64_t last_call_fuel() const noexcept = 0;

  /// Gives the OS back the 4 KiB pages of linear memory that hold only zeros; they read as zeros
  /// again and are faulted back in when touched. Linear memory is allocated zero-filled, so
  /// without this an instance holds all of its pages resident from the start; with it, an idle
  /// instance holds about the pages it has written. Not during a call. Returns the bytes released.
  std::size_t release_zero_pages() noexcept;
};

}  // namespace airssys::wasm
