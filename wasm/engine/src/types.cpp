// Value types, host function tables and the wabt <-> airssys conversions.
#include <algorithm>

#include "module_impl.hpp"

namespace airssys::wasm {

std::string_view to_string(ValType type) noexcept {
  switch (type) {
    case ValType::i32: return "i32";
    case ValType::i64: return "i64";
    case ValType::f32: return "f32";
    case ValType::f64: return "f64";
    case ValType::funcref: return "funcref";
    case ValType::externref: return "externref";
    case ValType::v128: return "v128";
  }
  return "?";
}

static void append_types(std::string& out, const std::vector<ValType>& types) {
  out += '(';
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i) out += ", ";
    out += to_string(types[i]);
  }
  out += ')';
}

std::string_view to_string(Tier tier) noexcept { return tier == Tier::aot ? "aot" : "interp"; }

std::string to_string(const FuncType& type) {
  std::string out;
  append_types(out, type.params);
  out += " -> ";
  append_types(out, type.results);
  return out;
}

const ExportInfo* Module::find_export(std::string_view name) const noexcept {
  const auto& exports = info().exports;
  auto it = std::find_if(exports.begin(), exports.end(), [&](const ExportInfo& e) { return e.name == name; });
  return it == exports.end() ? nullptr : &*it;
}

void HostFunctions::define(std::string module, std::string name, FuncType type, HostFunc fn) {
  // Redefinition replaces: a host assembles its table from layers that may override defaults.
  for (auto& e : entries_) {
    if (e.module == module && e.name == name) {
      e.type = std::move(type);
      e.fn = std::move(fn);
      return;
    }
  }
  entries_.push_back(Entry{std::move(module), std::move(name), std::move(type), std::move(fn)});
}

const HostFunctions::Entry* HostFunctions::find(std::string_view module, std::string_view name) const noexcept {
  for (const auto& e : entries_) {
    if (e.module == module && e.name == name) return &e;
  }
  return nullptr;
}

namespace detail {

std::optional<ValType> from_wabt(wabt::Type type) noexcept {
  switch (type) {
    case wabt::Type::I32: return ValType::i32;
    case wabt::Type::I64: return ValType::i64;
    case wabt::Type::F32: return ValType::f32;
    case wabt::Type::F64: return ValType::f64;
    case wabt::Type::V128: return ValType::v128;
    case wabt::Type::FuncRef: return ValType::funcref;
    case wabt::Type::ExternRef: return ValType::externref;
    default: return std::nullopt;
  }
}

static std::vector<ValType> from_wabt(const wi::ValueTypes& types) {
  std::vector<ValType> out;
  out.reserve(types.size());
  for (auto t : types) out.push_back(from_wabt(t).value_or(ValType::v128));
  return out;
}

FuncType from_wabt(const wi::FuncType& type) { return FuncType{from_wabt(type.params), from_wabt(type.results)}; }

ImportInfo::Kind from_wabt(wabt::ExternalKind kind) noexcept {
  switch (kind) {
    case wabt::ExternalKind::Func: return ImportInfo::Kind::func;
    case wabt::ExternalKind::Table: return ImportInfo::Kind::table;
    case wabt::ExternalKind::Memory: return ImportInfo::Kind::memory;
    case wabt::ExternalKind::Global: return ImportInfo::Kind::global;
    case wabt::ExternalKind::Tag: return ImportInfo::Kind::tag;
  }
  return ImportInfo::Kind::func;
}

bool to_wabt(const Value& in, ValType type, wi::Value& out) noexcept {
  if (in.type != type) return false;
  switch (type) {
    case ValType::i32: out = wi::Value::Make(in.u32); return true;
    case ValType::i64: out = wi::Value::Make(in.u64); return true;
    case ValType::f32: out = wi::Value::Make(in.u32); return true;  // bits: keeps NaN payloads
    case ValType::f64: out = wi::Value::Make(in.u64); return true;
    case ValType::funcref:
    case ValType::externref:
      if (!in.is_null_ref()) return false;
      out = wi::Value::Make(wi::Ref::Null);
      return true;
    case ValType::v128: return false;
  }
  return false;
}

Value from_wabt(const wi::Value& in, ValType type) noexcept {
  Value v;
  v.type = type;
  switch (type) {
    case ValType::i32:
    case ValType::f32: v.u32 = in.Get<wabt::interp::u32>(); break;
    case ValType::i64:
    case ValType::f64: v.u64 = in.Get<wabt::interp::u64>(); break;
    case ValType::funcref:
    case ValType::externref: v.u64 = in.Get<wi::Ref>().index; break;  // Ref::Null has index 0
    case ValType::v128: break;
  }
  return v;
}

}  // namespace detail
}  // namespace airssys::wasm
