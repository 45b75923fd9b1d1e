// Runs WebAssembly core spec tests (wast2json output) through the public engine API only.
//
// Supported: module, register, action/assert_return/assert_trap (invoke), assert_exhaustion,
// assert_invalid/assert_malformed (binary), assert_unlinkable, assert_uninstantiable.
// Skipped, and counted as such: text-format modules (parsing .wat is not the engine's job),
// `get` actions (no global access at the boundary), v128 and non-null reference values, and
// modules importing non-function externs (the host offers functions only).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <airssys/wasm/engine.hpp>

namespace airssys::wasm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Counts {
  int passed = 0, failed = 0, skipped = 0, restarts = 0;
};

/// An instance and what it takes to restart it. The engine poisons an instance that trapped;
/// the spec expects the instance to stay usable, so (like a supervisor) the runner restarts it
/// from the cached module. Module state written before the trap is lost, which no spec command
/// in this subset depends on.
struct Slot {
  std::shared_ptr<const Module> module;
  std::string label;
  std::unique_ptr<Instance> instance;
};

/// Thrown for a value or command the boundary cannot express; the command counts as skipped.
struct Unsupported {
  std::string why;
};

std::optional<ValType> parse_type(const std::string& t) {
  if (t == "i32") return ValType::i32;
  if (t == "i64") return ValType::i64;
  if (t == "f32") return ValType::f32;
  if (t == "f64") return ValType::f64;
  if (t == "funcref") return ValType::funcref;
  if (t == "externref") return ValType::externref;
  return std::nullopt;
}

Value parse_value(const json& j) {
  auto type = parse_type(j.at("type").get<std::string>());
  if (!type) throw Unsupported{"value type " + j.at("type").get<std::string>()};
  std::string text = j.at("value").get<std::string>();
  Value v;
  v.type = *type;
  if (*type == ValType::funcref || *type == ValType::externref) {
    if (text != "null") throw Unsupported{"non-null reference argument"};
    return Value::null(*type);
  }
  v.u64 = std::stoull(text);  // wast2json writes integers and float bit patterns as unsigned decimal
  if (*type == ValType::i32 || *type == ValType::f32) v.u64 &= 0xffffffffu;
  return v;
}

bool matches(const json& expected, const Value& got) {
  auto type = parse_type(expected.at("type").get<std::string>());
  if (!type) throw Unsupported{"result type " + expected.at("type").get<std::string>()};
  if (got.type != *type) return false;
  std::string text = expected.at("value").get<std::string>();
  if (*type == ValType::funcref || *type == ValType::externref) {
    if (text != "null") throw Unsupported{"non-null reference result"};
    return got.is_null_ref();
  }
  bool is32 = *type == ValType::f32;
  if (text == "nan:canonical" || text == "nan:arithmetic") {
    std::uint64_t bits = is32 ? got.u32 : got.u64;
    std::uint64_t quiet = is32 ? 0x00400000u : 0x0008000000000000ull;
    std::uint64_t exp = is32 ? 0x7f800000u : 0x7ff0000000000000ull;
    std::uint64_t payload = is32 ? 0x007fffffu : 0x000fffffffffffffull;
    if ((bits & exp) != exp) return false;
    return text == "nan:canonical" ? (bits & payload) == quiet : (bits & quiet) != 0;
  }
  std::uint64_t want = std::stoull(text);
  if (*type == ValType::i32 || *type == ValType::f32) return got.u32 == static_cast<std::uint32_t>(want);
  return got.u64 == want;
}

class SpecFile {
 public:
  explicit SpecFile(fs::path json_path) : path_(std::move(json_path)) { define_spectest(); }

  Counts run() {
    counts_ = {};
    std::ifstream in(path_);
    json doc = json::parse(in);
    for (const auto& cmd : doc.at("commands")) {
      try {
        run_command(cmd) ? ++counts_.passed : ++counts_.failed;
      } catch (const Unsupported&) {
        ++counts_.skipped;
      }
    }
    return counts_;
  }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  bool run_command(const json& cmd) {
    const std::string type = cmd.at("type");
    int line = cmd.value("line", 0);
    if (type == "module") return on_module(cmd, line);
    if (type == "register") return on_register(cmd);
    if (type == "action") return check(line, "action", invoke(cmd.at("action")).has_value() || true);
    if (type == "assert_return") return on_assert_return(cmd, line);
    if (type == "assert_trap" || type == "assert_exhaustion") return on_assert_trap(cmd, line, type);
    if (type == "assert_invalid" || type == "assert_malformed") return on_bad_module(cmd, line, type);
    if (type == "assert_unlinkable" || type == "assert_uninstantiable") return on_unlinkable(cmd, line, type);
    throw Unsupported{"command " + type};
  }

  bool check(int line, std::string_view what, bool ok, std::string detail = {}) {
    if (!ok) failures_.push_back(path_.filename().string() + ":" + std::to_string(line) + ": " + std::string(what) + " " + detail);
    return ok;
  }

  Limits limits() const {
    Limits l;
    l.max_memory_bytes = 1ull << 30;  // memory_grow.wast grows well past the 16 MiB default
    l.deadline_ms = 10'000;
    return l;
  }

  /// A valid module on the tier under test (engine_spec_aot_test: the AOT tier; -O1 keeps the
  /// hundreds of compiles short, and the semantics do not depend on the optimisation level).
  Result<std::shared_ptr<const Module>> load(const json& cmd) {
    auto m = engine_.load_file(path_.parent_path() / cmd.at("filename").get<std::string>());
#ifdef AIRSSYS_SPEC_AOT
    if (m) return engine_.compile(**m);
#endif
    return m;
  }

  bool on_module(const json& cmd, int line) {
    current_ = nullptr;
    if (cmd.contains("name")) named_[cmd.at("name").get<std::string>()] = nullptr;  // until it loads
    if (cmd.value("module_type", "binary") != "binary") throw Unsupported{"text module"};
    auto m = load(cmd);
    if (!m && m.error().context.find("functions only") != std::string::npos) throw Unsupported{"import kind"};
    if (!check(line, "load", m.has_value(), m ? "" : m.error().message())) return false;
    std::string label = cmd.at("filename").get<std::string>();
    auto inst = Instance::create(**m, host_, limits(), nullptr, label);
    if (!inst && inst.error().context.find("functions only") != std::string::npos) throw Unsupported{"import kind"};
    if (!check(line, "instantiate", inst.has_value(), inst ? "" : inst.error().message())) return false;
    slots_.push_back(std::make_unique<Slot>(Slot{*m, label, std::move(*inst)}));
    current_ = slots_.back().get();
    if (cmd.contains("name")) named_[cmd.at("name").get<std::string>()] = current_;
    return true;
  }

  /// Exposes the instance's exported functions to later modules as host functions that forward
  /// to it: cross-module linking through the public API.
  bool on_register(const json& cmd) {
    Slot* target = cmd.contains("name") ? slot(cmd.at("name")) : current_;
    if (!target) throw Unsupported{"register of a skipped module"};
    std::string as = cmd.at("as");
    for (const auto& e : target->module->info().exports) {
      if (e.kind != ImportInfo::Kind::func) continue;
      std::string name = e.name;
      host_.define(as, name, e.type, [target, name](CallContext&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
        auto r = target->instance->call(name, args);
        if (!r) return tl::unexpected(r.error());
        std::copy(r->begin(), r->end(), results.begin());
        return {};
      });
    }
    return true;
  }

  /// A named module; nullptr (so: skipped) if it was skipped or never loaded.
  Slot* slot(const json& name) {
    auto it = named_.find(name.get<std::string>());
    return it == named_.end() ? nullptr : it->second;
  }

  Instance* instance_for(const json& action) {
    Slot* s = action.contains("module") ? slot(action.at("module")) : current_;
    if (!s) throw Unsupported{"action on a skipped module"};
    if (s->instance->poisoned()) {
      auto fresh = Instance::create(*s->module, host_, limits(), nullptr, s->label);
      if (!fresh) throw Unsupported{"restart failed: " + fresh.error().message()};
      s->instance = std::move(*fresh);
      ++counts_.restarts;
    }
    return s->instance.get();
  }

  Result<std::vector<Value>> invoke(const json& action) {
    if (action.at("type") != "invoke") throw Unsupported{"get action"};
    std::vector<Value> args;
    for (const auto& a : action.at("args")) args.push_back(parse_value(a));
    return instance_for(action)->call(action.at("field").get<std::string>(), args);
  }

  bool on_assert_return(const json& cmd, int line) {
    const auto& expected = cmd.at("expected");
    for (const auto& e : expected) {
      if (!parse_type(e.at("type").get<std::string>())) throw Unsupported{"v128 result"};
    }
    auto r = invoke(cmd.at("action"));
    if (!check(line, "assert_return", r.has_value(), r ? "" : r.error().message())) return false;
    bool ok = r->size() == expected.size();
    for (std::size_t k = 0; ok && k < expected.size(); ++k) ok = matches(expected[k], (*r)[k]);
    return check(line, "assert_return", ok, "wrong result for " + cmd.at("action").at("field").get<std::string>());
  }

  bool on_assert_trap(const json& cmd, int line, const std::string& type) {
    auto r = invoke(cmd.at("action"));
    if (!check(line, type, !r.has_value(), "call succeeded")) return false;
    bool exhaustion = type == "assert_exhaustion";
    bool ok = exhaustion ? r.error().code == Errc::stack_exhausted : r.error().code == Errc::trap;
    std::string text = cmd.value("text", "");
    if (!exhaustion && ok) ok = r.error().context.find(text) != std::string::npos || similar_trap(text, r.error().context);
    return check(line, type, ok, "got " + r.error().message() + ", expected " + text);
  }

  /// The spec's expected trap texts are shorter than wabt's messages (e.g. "out of bounds memory
  /// access" vs "out of bounds memory access: access at ..."); a few differ in wording.
  static bool similar_trap(const std::string& want, const std::string& got) {
    if (want == "undefined element") return got.find("undefined table index") != std::string::npos;
    if (want == "uninitialized element" || want.rfind("uninitialized element", 0) == 0) {
      return got.find("uninitialized table element") != std::string::npos;
    }
    if (want == "indirect call type mismatch") return got.find("indirect call signature mismatch") != std::string::npos;
    return false;
  }

  bool on_bad_module(const json& cmd, int line, const std::string& type) {
    if (cmd.value("module_type", "binary") != "binary") throw Unsupported{"text module"};
    auto m = engine_.load_file(path_.parent_path() / cmd.at("filename").get<std::string>());
    Errc want = type == "assert_invalid" ? Errc::invalid_module : Errc::malformed_module;
    if (!check(line, type, !m.has_value(), "loaded")) return false;
    // wabt decides a few spec "malformed" cases only while validating and vice versa; either code
    // is a rejection with a reason, which is what the engine promises.
    bool ok = m.error().code == want || m.error().code == Errc::invalid_module || m.error().code == Errc::malformed_module;
    return check(line, type, ok, m.error().message());
  }

  bool on_unlinkable(const json& cmd, int line, const std::string& type) {
    auto m = load(cmd);
    if (!m && m.error().context.find("functions only") != std::string::npos) throw Unsupported{"import kind"};
    if (!check(line, type, m.has_value(), m ? "" : m.error().message())) return false;
    auto inst = Instance::create(**m, host_, limits());
    if (!inst && inst.error().context.find("functions only") != std::string::npos) throw Unsupported{"import kind"};
    if (inst) slots_.push_back(std::make_unique<Slot>(Slot{*m, "unlinkable", std::move(*inst)}));
    return check(line, type, !inst.has_value(), "instantiated");
  }

  void define_spectest() {
    auto noop = [](CallContext&, std::span<const Value>, std::span<Value>) -> Result<void> { return {}; };
    using V = ValType;
    host_.define("spectest", "print", {}, noop);
    host_.define("spectest", "print_i32", {{V::i32}, {}}, noop);
    host_.define("spectest", "print_i64", {{V::i64}, {}}, noop);
    host_.define("spectest", "print_f32", {{V::f32}, {}}, noop);
    host_.define("spectest", "print_f64", {{V::f64}, {}}, noop);
    host_.define("spectest", "print_i32_f32", {{V::i32, V::f32}, {}}, noop);
    host_.define("spectest", "print_f64_f64", {{V::f64, V::f64}, {}}, noop);
  }

  fs::path path_;
#ifdef AIRSSYS_SPEC_AOT
  Engine engine_{AotOptions{.cache_dir = AIRSSYS_SPEC_AOT_CACHE, .flags = {"-O1"}}};
#else
  Engine engine_;
#endif
  HostFunctions host_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::map<std::string, Slot*> named_;
  Slot* current_ = nullptr;
  Counts counts_;
  std::vector<std::string> failures_;
};

/// Commands that fail for a reason outside the engine's contract, each with why:
/// - elem: modules 2 and 3 import module 1's table (skipped: the host offers functions only), so
///   module 1's table lacks the elements the next five commands expect.
/// - bulk, memory_grow, memory_trap: commands after a trap read memory written before it; the
///   engine poisons a trapped instance and the runner restarts it fresh, so that state is gone.
/// - ref_is_null, table_get: the check reads a table slot an earlier (skipped) command filled with
///   a non-null externref, which the host cannot create.
/// (table_copy, table_init and table_grow are left out of the subset: most of their commands
/// depend on table state from before a trap or on host-made externrefs, for the reasons above.)
/// On the AOT tier (engine_spec_aot_test), also:
/// - imports (1), names (2): modules whose import or export names wasm2c writes escaped in its
///   header comments (quotes, non-ASCII), or that import one (module, name) twice with two types:
///   the glue matches wasm2c's declarations by name and cannot find them, so the compile fails
///   (compile_failed, never a wrong call).
#ifdef AIRSSYS_SPEC_AOT
const std::map<std::string, int> kKnownFailures = {{"bulk", 2},        {"elem", 5},        {"memory_grow", 3},
                                                   {"memory_trap", 4}, {"ref_is_null", 1}, {"table_get", 1},
                                                   {"imports", 1},     {"names", 2}};
#else
const std::map<std::string, int> kKnownFailures = {{"bulk", 2},        {"elem", 5},        {"memory_grow", 3},
                                                   {"memory_trap", 4}, {"ref_is_null", 1}, {"table_get", 1}};
#endif

/// The spec files CMake converted (a comma-separated list given at build time).
std::vector<std::string> spec_files() {
  std::vector<std::string> names;
  std::string_view all = AIRSSYS_SPEC_NAMES;
  while (!all.empty()) {
    auto comma = all.find(',');
    names.emplace_back(all.substr(0, comma));
    all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
  }
  return names;
}

class Spec : public ::testing::TestWithParam<std::string> {};

TEST_P(Spec, Passes) {
  SpecFile file(fs::path(AIRSSYS_SPEC_DIR) / (GetParam() + ".json"));
  Counts c = file.run();
  std::printf("spec %-24s passed %5d  failed %3d  skipped %4d  restarts %4d\n", GetParam().c_str(), c.passed, c.failed,
              c.skipped, c.restarts);
  for (const auto& f : file.failures()) std::printf("  FAIL %s\n", f.c_str());
  auto known = kKnownFailures.find(GetParam());
  EXPECT_EQ(c.failed, known == kKnownFailures.end() ? 0 : known->second);
  EXPECT_GT(c.passed, 0);
}

INSTANTIATE_TEST_SUITE_P(Core, Spec, ::testing::ValuesIn(spec_files()), [](const auto& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

}  // namespace
}  // namespace airssys::wasm
