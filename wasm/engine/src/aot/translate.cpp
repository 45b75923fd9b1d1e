// AOT stage 1: a validated module -> one self-contained C file (wasm2c output + glue + runtime).
//
// wabt's C writer (the code behind /usr/bin/wasm2c, same wabt 1.0.32 build) runs in process on
// wabt's IR. Before writing C, each defined function and each loop body gets a static cost: the
// number of wasm instructions in it, not counting those inside nested loops. The generated C is
// then rewritten in four well-defined places (pinned to wabt 1.0.32's output and checked: a
// count that does not match fails the compile instead of dropping a check):
//   FUNC_PROLOGUE;   -> AIRSSYS_ENTER(instance, <function cost>);   native stack, deadline, fuel
//   FUNC_EPILOGUE;   -> AIRSSYS_LEAVE(instance);
//   w2c_L<n>:        -> w2c_L<n>: AIRSSYS_LOOP(instance, <loop body cost>);   fuel per iteration
//                       (AIRSSYS_LOOP_CALLS when every pass calls a defined function first)
//   memory_fill( ... -> AIRSSYS_BULK(instance); memory_fill( ...           deadline per bulk op
//   CALL_INDIRECT(   -> AIRSSYS_CALL_INDIRECT(     one trap per failure, named like the interpreter
// Glue (generated from the header's prototypes and the module's types) routes every function
// import to the host and every function export to one uniform entry.
#include "aot/aot.hpp"

#include <map>
#include <sstream>

#include <wabt/apply-names.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/c-writer.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>



namespace airssys::wasm::detail::aot {
namespace {

constexpr std::string_view kModuleName = "m";
constexpr std::string_view kStartExport = "airssys.start";

struct LoopCost {
  std::uint64_t body = 0;      // instructions in one pass, not counting nested loops
  bool calls_first = false;    // every pass calls a function of the module before it can branch
};

struct FuncCost {
  std::uint64_t entry = 0;                  // instructions outside loops
  std::map<std::string, LoopCost> loops;    // C label ("w2c_L3") -> its loop
};

/// True when a pass over `body` cannot branch, return or end before it calls a function the
/// module defines (whose entry checks the deadline and charges fuel).
bool calls_first(const wabt::ExprList& body, const wabt::Module& module) {
  for (const auto& e : body) {
    switch (e.type()) {
      case wabt::ExprType::Call: {
        wabt::Index callee = module.GetFuncIndex(wabt::cast<wabt::CallExpr>(&e)->var);
        if (callee >= module.num_func_imports && callee < module.funcs.size()) return true;
        break;  // an import: the host, not a checked entry
      }
      case wabt::ExprType::Block:
      case wabt::ExprType::Br:
      case wabt::ExprType::BrIf:
      case wabt::ExprType::BrTable:
      case wabt::ExprType::If:
      case wabt::ExprType::Loop:
      case wabt::ExprType::Return:
      case wabt::ExprType::ReturnCall:
      case wabt::ExprType::ReturnCallIndirect:
      case wabt::ExprType::Try:
      case wabt::ExprType::Throw:
      case wabt::ExprType::Rethrow:
      case wabt::ExprType::Unreachable: return false;
      default: break;
    }
  }
  return false;
}

void walk(const wabt::ExprList& exprs, std::uint64_t& region, FuncCost& cost, const wabt::Module& module);

void walk_loop(const wabt::Block& block, FuncCost& cost, const wabt::Module& module) {
  std::uint64_t body = 1;  // the back edge itself
  walk(block.exprs, body, cost, module);
  if (block.exprs.empty()) return;  // wasm2c writes no label for an empty loop (nothing can iterate)
  std::string label = block.label;
  if (!label.empty() && label[0] == '$') label.erase(0, 1);
  cost.loops["w2c_" + label] = LoopCost{body, calls_first(block.exprs, module)};
}

void walk(const wabt::ExprList& exprs, std::uint64_t& region, FuncCost& cost, const wabt::Module& module) {
  for (const auto& e : exprs) {
    ++region;
    switch (e.type()) {
      case wabt::ExprType::Block: walk(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, region, cost, module); break;
      case wabt::ExprType::Loop: walk_loop(wabt::cast<wabt::LoopExpr>(&e)->block, cost, module); break;
      case wabt::ExprType::If: {
        const auto* i = wabt::cast<wabt::IfExpr>(&e);
        walk(i->true_.exprs, region, cost, module);
        walk(i->false_, region, cost, module);
        break;
      }
      case wabt::ExprType::Try: {
        const auto* t = wabt::cast<wabt::TryExpr>(&e);
        walk(t->block.exprs, region, cost, module);
        for (const auto& c : t->catches) walk(c.exprs, region, cost, module);
        break;
      }
      default: break;
    }
  }
}

std::string_view c_type(ValType t) {
  switch (t) {
    case ValType::i32: return "u32";
    case ValType::i64: return "u64";
    case ValType::f32: return "f32";
    case ValType::f64: return "f64";
    case ValType::funcref: return "wasm_rt_funcref_t";
    case ValType::externref: return "wasm_rt_externref_t";
    case ValType::v128: return "v128";
  }
  return "?";
}

// wabt's c-writer names multi-value struct fields by a type letter and the position.
char multi_letter(ValType t) {
  switch (t) {
    case ValType::i32: return 'i';
    case ValType::i64: return 'j';
    case ValType::f32: return 'f';
    case ValType::f64: return 'd';
    default: return '?';
  }
}

struct Prototype {
  std::string ret, name, first_param;
};

/// "struct wasm_multi_id Z_envZ_pair(struct Z_env_instance_t*, f32, u64);"
std::optional<Prototype> parse_prototype(const std::string& line) {
  auto open = line.find('(');
  if (open == std::string::npos) return std::nullopt;
  auto name_end = open;
  auto name_begin = line.find_last_of(" *", name_end - 1);
  name_begin = name_begin == std::string::npos ? 0 : name_begin + 1;
  Prototype p;
  p.name = line.substr(name_begin, name_end - name_begin);
  p.ret = line.substr(0, name_begin);
  while (!p.ret.empty() && p.ret.back() == ' ') p.ret.pop_back();
  auto first_end = line.find_first_of(",)", open);
  p.first_param = line.substr(open + 1, first_end - open - 1);
  if (p.name.empty()) return std::nullopt;
  return p;
}

struct Header {
  // wasm2c declares imports and exports in its own order (sorted), so they are matched by name.
  std::map<std::pair<std::string, std::string>, Prototype> imports;  // (module, name) -> function import
  std::map<std::string, std::optional<Prototype>> exports;           // name -> export (functions parsed)
  std::optional<Prototype> instantiate;
  std::size_t instantiate_params = 0;
};

/// "/* import: 'env' 'now' */" -> {"env", "now"}; "/* export: 'fib' */" -> {"fib"}.
std::vector<std::string> quoted_names(const std::string& comment) {
  std::vector<std::string> out;
  auto end = comment.rfind("' */");
  if (end == std::string::npos) return out;
  auto first = comment.find('\'');
  if (first == std::string::npos || first >= end) return out;
  std::string inner = comment.substr(first + 1, end - first - 1);
  if (auto sep = inner.find("' '"); sep != std::string::npos) {
    out.push_back(inner.substr(0, sep));
    out.push_back(inner.substr(sep + 3));
  } else {
    out.push_back(inner);
  }
  return out;
}

Header parse_header(const std::string& h) {
  Header out;
  std::istringstream in(h);
  std::string line, prev;
  while (std::getline(in, line)) {
    if (prev.rfind("/* import: ", 0) == 0) {
      auto names = quoted_names(prev);
      auto p = parse_prototype(line);
      if (names.size() == 2 && p) out.imports.emplace(std::pair(names[0], names[1]), *p);
    } else if (prev.rfind("/* export: ", 0) == 0) {
      auto names = quoted_names(prev);
      if (names.size() == 1) out.exports.emplace(names[0], parse_prototype(line));
    } else if (line.rfind("void Z_" + std::string(kModuleName) + "_instantiate(", 0) == 0) {
      out.instantiate = parse_prototype(line);
      out.instantiate_params = 1 + static_cast<std::size_t>(std::count(line.begin(), line.end(), ','));
    }
    prev = line;
  }
  return out;
}

std::size_t replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::size_t n = 0;
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
    ++n;
  }
  return n;
}

bool is_bulk_call(std::string_view trimmed) {
  for (std::string_view f : {"memory_fill(", "memory_copy(", "memory_init(", "funcref_table_init(",
                             "externref_table_init(", "funcref_table_copy(", "externref_table_copy(",
                             "funcref_table_fill(", "externref_table_fill("}) {
    if (trimmed.substr(0, f.size()) == f) return true;
  }
  return false;
}

/// Rewrites one function's text (from its FUNC_PROLOGUE to the next one).
Result<std::string> instrument_function(std::string body, const FuncCost& cost, std::size_t index) {
  std::string out;
  out.reserve(body.size() + 256);
  std::istringstream in(body);
  std::string line;
  std::size_t loops = 0;
  bool first = true;
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(' ');
    std::string_view trimmed = start == std::string::npos ? std::string_view() : std::string_view(line).substr(start);
    if (first) {
      first = false;  // the FUNC_PROLOGUE line itself
      out += "  AIRSSYS_ENTER(instance, " + std::to_string(std::max<std::uint64_t>(cost.entry, 1)) + "u);\n";
      continue;
    }
    if (trimmed.rfind("w2c_L", 0) == 0) {
      auto colon = trimmed.find(':');
      if (colon != std::string_view::npos) {
        std::string label(trimmed.substr(0, colon));
        auto it = cost.loops.find(label);
        if (it == cost.loops.end()) {
          return fail(Errc::invalid_module, "aot: function " + std::to_string(index) + ": unknown loop label " + label);
        }
        out += line + (it->second.calls_first ? " AIRSSYS_LOOP_CALLS(instance, " : " AIRSSYS_LOOP(instance, ") +
               std::to_string(it->second.body) + "u);\n";
        ++loops;
        continue;
      }
    }
    if (is_bulk_call(trimmed)) {
      out += line.substr(0, start) + "AIRSSYS_BULK(instance); " + std::string(trimmed) + "\n";
      continue;
    }
    out += line;
    out += '\n';
  }
  if (loops != cost.loops.size()) {
    return fail(Errc::invalid_module, "aot: function " + std::to_string(index) + ": instrumented " +
                                          std::to_string(loops) + " of " + std::to_string(cost.loops.size()) + " loops");
  }
  return out;
}

std::string put(ValType t, const std::string& expr) { return "airssys_put_" + std::string(to_string(t)) + "(" + expr + ")"; }
std::string get(ValType t, const std::string& expr) { return "airssys_get_" + std::string(to_string(t)) + "(" + expr + ")"; }

constexpr std::string_view kConversions = R"(
static inline uint64_t airssys_put_i32(u32 v) { return v; }
static inline uint64_t airssys_put_i64(u64 v) { return v; }
static inline uint64_t airssys_put_f32(f32 v) { uint32_t b; memcpy(&b, &v, 4); return b; }
static inline uint64_t airssys_put_f64(f64 v) { uint64_t b; memcpy(&b, &v, 8); return b; }
static inline uint64_t airssys_put_externref(wasm_rt_externref_t v) { return (uint64_t)(uintptr_t)v; }
static inline uint64_t airssys_put_funcref(wasm_rt_funcref_t v) { return (uint64_t)(uintptr_t)v.func; }
static inline u32 airssys_get_i32(uint64_t v) { return (u32)v; }
static inline u64 airssys_get_i64(uint64_t v) { return v; }
static inline f32 airssys_get_f32(uint64_t v) { uint32_t b = (uint32_t)v; f32 f; memcpy(&f, &b, 4); return f; }
static inline f64 airssys_get_f64(uint64_t v) { f64 f; memcpy(&f, &v, 8); return f; }
static inline wasm_rt_externref_t airssys_get_externref(uint64_t v) { return (wasm_rt_externref_t)(uintptr_t)v; }
/* The host passes only null references (it cannot name guest functions). */
static inline wasm_rt_funcref_t airssys_get_funcref(uint64_t v) { return wasm_rt_funcref_null_value; }
)";

/// Assigns the call's results (a value or a wasm_multi struct `v`) to the result slots `r`.
std::string store_results(const std::vector<ValType>& results, const std::string& v, const std::string& r) {
  std::string s;
  if (results.size() == 1) return "    " + r + "[0] = " + put(results[0], v) + ";\n";
  for (std::size_t k = 0; k < results.size(); ++k) {
    s += "    " + r + "[" + std::to_string(k) + "] = " +
         put(results[k], v + "." + multi_letter(results[k]) + std::to_string(k)) + ";\n";
  }
  return s;
}

Result<std::string> glue(const ModuleInfo& info, const Header& h, bool has_start) {
  std::string inst_type = "Z_" + std::string(kModuleName) + "_instance_t";
  std::string g = "\n/* ---- airssys glue ---- */\n";
  g += kConversions;
  g += "#define AIRSSYS_INST(block) ((" + inst_type + "*)((char*)(block) + AIRSSYS_AOT_CTX_SPACE))\n";

  // Imports: each wasm2c import function hands its arguments to the host as 64-bit slots.
  std::size_t fi = 0;
  for (const auto& imp : info.imports) {
    if (imp.kind != ImportInfo::Kind::func) {
      return fail(Errc::unknown_import, imp.module + "." + imp.name + ": the host provides functions only");
    }
    auto found = h.imports.find(std::pair(imp.module, imp.name));
    if (found == h.imports.end()) {
      return fail(Errc::compile_failed, "aot: wasm2c declared no function for import " + imp.module + "." + imp.name);
    }
    const auto& p = found->second;
    const auto& t = imp.type;
    g += p.ret + " " + p.name + "(" + p.first_param + " self";
    for (std::size_t k = 0; k < t.params.size(); ++k) g += ", " + std::string(c_type(t.params[k])) + " a" + std::to_string(k);
    g += ") {\n";
    g += "  uint64_t a[" + std::to_string(std::max<std::size_t>(t.params.size(), 1)) + "], r[" +
         std::to_string(std::max<std::size_t>(t.results.size(), 1)) + "];\n";
    for (std::size_t k = 0; k < t.params.size(); ++k) {
      g += "  a[" + std::to_string(k) + "] = " + put(t.params[k], "a" + std::to_string(k)) + ";\n";
    }
    g += "  airssys_import((airssys_aot_ctx*)self, " + std::to_string(fi) + "u, a, r);\n";
    if (t.results.size() == 1) {
      g += "  return " + get(t.results[0], "r[0]") + ";\n";
    } else if (t.results.size() > 1) {
      g += "  " + p.ret + " v;\n";
      for (std::size_t k = 0; k < t.results.size(); ++k) {
        g += "  v." + std::string(1, multi_letter(t.results[k])) + std::to_string(k) + " = " +
             get(t.results[k], "r[" + std::to_string(k) + "]") + ";\n";
      }
      g += "  return v;\n";
    }
    g += "}\n";
    ++fi;
  }
  if (fi != h.imports.size()) return fail(Errc::compile_failed, "aot: wasm2c declared more imports than the module has");

  // Exports: one dispatcher over the export index (the start function is index nexports).
  std::size_t nexports = info.exports.size();
  if (h.exports.size() != nexports + (has_start ? 1 : 0)) {
    return fail(Errc::compile_failed, "aot: header lists " + std::to_string(h.exports.size()) + " exports, expected " +
                                          std::to_string(nexports + (has_start ? 1 : 0)));
  }
  g += "static void airssys_dispatch(void* block, uint32_t index, const uint64_t* a, uint64_t* r) {\n";
  g += "  " + inst_type + "* inst = AIRSSYS_INST(block);\n  switch (index) {\n";
  for (std::size_t k = 0; k < nexports + (has_start ? 1 : 0); ++k) {
    bool start = k == nexports;
    if (!start && info.exports[k].kind != ImportInfo::Kind::func) continue;
    std::string name = start ? std::string(kStartExport) : info.exports[k].name;
    auto found = h.exports.find(name);
    if (found == h.exports.end() || !found->second) {
      return fail(Errc::compile_failed, "aot: cannot read wasm2c's declaration of export " + name);
    }
    const auto& proto = *found->second;
    static const FuncType kNone;
    const auto& t = start ? kNone : info.exports[k].type;
    std::string call = proto.name + "(inst";
    for (std::size_t j = 0; j < t.params.size(); ++j) call += ", " + get(t.params[j], "a[" + std::to_string(j) + "]");
    call += ")";
    g += "  case " + std::to_string(k) + "u: {\n";
    if (t.results.empty()) {
      g += "    " + call + ";\n";
    } else {
      g += "    " + proto.ret + " v = " + call + ";\n" + store_results(t.results, "v", "r");
    }
    g += "    break;\n  }\n";
  }
  g += "  }\n}\n";

  if (!h.instantiate) return fail(Errc::invalid_module, "aot: no instantiate function in the header");
  g += "static void airssys_do_instantiate(void* block, uint32_t i, const uint64_t* a, uint64_t* r) {\n";
  g += "  Z_" + std::string(kModuleName) + "_instantiate(AIRSSYS_INST(block)";
  for (std::size_t k = 1; k < h.instantiate_params; ++k) g += ", (void*)block";
  g += ");\n}\n";
  g += "static int airssys_instantiate(void* block) { return airssys_guarded(block, airssys_do_instantiate, 0, 0, 0); }\n";
  g += "static int airssys_call(void* block, uint32_t index, const uint64_t* a, uint64_t* r) {\n"
       "  return airssys_guarded(block, airssys_dispatch, index, a, r);\n}\n";
  g += "static void airssys_destroy(void* block) { Z_" + std::string(kModuleName) + "_free(AIRSSYS_INST(block)); }\n";
  g += "__attribute__((constructor)) static void airssys_init(void) { Z_" + std::string(kModuleName) + "_init_module(); }\n";
  g += "__attribute__((visibility(\"default\"))) const airssys_aot_module* airssys_aot_module_v1(void) {\n"
       "  static const airssys_aot_module m = {AIRSSYS_AOT_ABI_VERSION, " +
       std::to_string(nexports) + "u, " + (has_start ? "1u" : "0u") + ", AIRSSYS_AOT_CTX_SPACE + sizeof(" + inst_type +
       "), airssys_instantiate, airssys_call, airssys_destroy, airssys_memory0, airssys_apply_caps, airssys_bind_host};\n"
       "  return &m;\n}\n";
  return g;
}

std::string errors_text(const wabt::Errors& errors) {
  return errors.empty() ? std::string("unknown reason") : errors.front().message;
}

}  // namespace

Result<std::string> translate(std::span<const std::uint8_t> bytes, const ModuleInfo& info) {
  wabt::Features features;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/true);
  wabt::Errors errors;
  wabt::Module module;
  if (wabt::Failed(wabt::ReadBinaryIr(info.name.c_str(), bytes.data(), bytes.size(), options, &errors, &module))) {
    return fail(Errc::invalid_module, info.name + ": aot: " + errors_text(errors));
  }
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features))) ||
      wabt::Failed(wabt::GenerateNames(&module))) {
    return fail(Errc::invalid_module, info.name + ": aot: " + errors_text(errors));
  }
  wabt::ApplyNames(&module);

  std::vector<FuncCost> costs;
  for (std::size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
    FuncCost c;
    walk(module.funcs[i]->exprs, c.entry, c, module);
    costs.push_back(std::move(c));
  }

  // The start function runs under the instance's limits, as a call of its own (as on the
  // interpreter): take it out of instantiation and export it under a name no module can use twice.
  bool has_start = !module.starts.empty();
  if (has_start) {
    for (const auto* e : module.exports) {
      if (e->name == kStartExport) return fail(Errc::invalid_module, info.name + ": aot: export name " + std::string(kStartExport) + " is reserved");
    }
    auto field = std::make_unique<wabt::ExportModuleField>();
    field->export_.name = std::string(kStartExport);
    field->export_.kind = wabt::ExternalKind::Func;
    field->export_.var = *module.starts.front();
    module.starts.clear();
    module.AppendField(std::move(field));
  }

  wabt::MemoryStream c_stream, h_stream;
  wabt::WriteCOptions write_options;
  write_options.module_name = kModuleName;
  std::string header_name = std::string(kModuleName) + ".h";
  if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, header_name.c_str(), &module, write_options))) {
    return fail(Errc::invalid_module, info.name + ": aot: wasm2c failed");
  }
  const auto& cb = c_stream.output_buffer().data;
  const auto& hb = h_stream.output_buffer().data;
  std::string c(cb.begin(), cb.end()), h(hb.begin(), hb.end());

  // Split the C file at each function's FUNC_PROLOGUE and instrument the pieces.
  static constexpr std::string_view kPrologue = "  FUNC_PROLOGUE;\n";
  std::string out;
  std::size_t pos = c.find(kPrologue);
  out += c.substr(0, pos);
  for (std::size_t i = 0; pos != std::string::npos; ++i) {
    auto next = c.find(kPrologue, pos + kPrologue.size());
    if (i >= costs.size()) return fail(Errc::invalid_module, info.name + ": aot: more function bodies than functions");
    auto body = instrument_function(c.substr(pos, next == std::string::npos ? std::string::npos : next - pos), costs[i], i);
    if (!body) return fail(body.error().code, info.name + ": " + body.error().context);
    out += *body;
    pos = next;
    if (pos == std::string::npos && i + 1 != costs.size()) {
      return fail(Errc::invalid_module, info.name + ": aot: " + std::to_string(i + 1) + " function bodies for " +
                                            std::to_string(costs.size()) + " functions");
    }
  }
  if (costs.empty() && c.find(kPrologue) != std::string::npos) return fail(Errc::invalid_module, info.name + ": aot: unexpected bodies");
  replace_all(out, "FUNC_EPILOGUE;", "AIRSSYS_LEAVE(instance);");
  // wasm2c's table helpers (from funcref_table_init to the module's own code) trap as OOB like
  // memory accesses; name them as the interpreter does.
  if (auto t0 = out.find("static inline void funcref_table_init("), t1 = out.find("static bool s_module_initialized");
      t0 != std::string::npos && t1 != std::string::npos && t0 < t1) {
    std::string helpers = out.substr(t0, t1 - t0);
    replace_all(helpers, "TRAP(OOB)", "(wasm_rt_trap((wasm_rt_trap_t)AIRSSYS_TRAP_TABLE_OOB), 0)");
    out.replace(t0, t1 - t0, helpers);
  }
  replace_all(out, "#define CALL_INDIRECT(", "#define AIRSSYS_KEEP_CI(");
  replace_all(out, "CALL_INDIRECT(", "AIRSSYS_CALL_INDIRECT(");
  replace_all(out, "#define AIRSSYS_KEEP_CI(", "#define CALL_INDIRECT(");
  if (replace_all(out, "#include \"" + header_name + "\"", h) != 1) {
    return fail(Errc::invalid_module, info.name + ": aot: wasm2c output does not include its header");
  }

  auto header = parse_header(h);
  auto g = glue(info, header, has_start);
  if (!g) return fail(g.error().code, info.name + ": " + g.error().context);

  std::string source = "/* Generated by airssys from " + info.sha256 + " (wabt 1.0.32 C writer). */\n";
  source += embedded_abi();
  source += embedded_prelude();
  source += out;
  source += embedded_runtime();
  source += *g;
  return source;
}

}  // namespace airssys::wasm::detail::aot
