// Reaches the few private members of wabt 1.0.32's interpreter that a limited run needs.
//
// Why: wabt's public call API (Func::Call) runs a call to completion, and Thread has no public
// way to push a call frame and then step it in bounded batches (Thread::Run(n) is public, the
// frame setup is not). Fuel, deadlines and stack limits need exactly that. The members are
// reached with the standard explicit-instantiation rule ([temp.spec.general]/6: access is not
// checked on names in an explicit instantiation), so nothing is redefined and no UB is involved.
// This file is pinned to wabt 1.0.32: the static_assert below fails on another version so the
// shims get re-checked against the new interp.h.
#pragma once

#include <string_view>
#include <vector>

#include <wabt/config.h>
#include <wabt/interp/interp.h>

namespace airssys::wasm::detail {

static_assert(std::string_view(WABT_VERSION_STRING) == "1.0.32",
              "wabt_access.hpp reaches private members of wabt 1.0.32's interp::Thread; re-check them");

namespace wi = wabt::interp;

/// Tag types name one private member each; `get(Tag)` is defined by the instantiation below.
template <class Tag, typename Tag::type Member>
struct Rob {
  friend typename Tag::type get(Tag) { return Member; }
};

struct ThreadFrames {
  using type = std::vector<wi::Frame> wi::Thread::*;
  friend type get(ThreadFrames);
};
struct ThreadValues {
  using type = std::vector<wi::Value> wi::Thread::*;
  friend type get(ThreadValues);
};
struct ThreadPushValues {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, const wi::Values&);
  friend type get(ThreadPushValues);
};
struct ThreadPopValues {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, wi::Values*);
  friend type get(ThreadPopValues);
};
struct ThreadPushCall {
  using type = wi::RunResult (wi::Thread::*)(const wi::DefinedFunc&, wi::Trap::Ptr*);
  friend type get(ThreadPushCall);
};
struct MemoryType {
  using type = wi::MemoryType wi::Memory::*;
  friend type get(MemoryType);
};
struct MemoryData {
  using type = wi::Buffer wi::Memory::*;
  friend type get(MemoryData);
};
struct MemoryPages {
  using type = wi::u64 wi::Memory::*;
  friend type get(MemoryPages);
};
struct TableElements {
  using type = wi::RefVec wi::Table::*;
  friend type get(TableElements);
};
struct TableType {
  using type = wi::TableType wi::Table::*;
  friend type get(TableType);
};

template struct Rob<ThreadFrames, &wi::Thread::frames_>;
template struct Rob<ThreadValues, &wi::Thread::values_>;
template struct Rob<ThreadPushValues, &wi::Thread::PushValues>;
template struct Rob<ThreadPopValues, &wi::Thread::PopValues>;
template struct Rob<ThreadPushCall, &wi::Thread::PushCall>;  // overload picked by the type
template struct Rob<MemoryType, &wi::Memory::type_>;
template struct Rob<MemoryData, &wi::Memory::data_>;
template struct Rob<MemoryPages, &wi::Memory::pages_>;
template struct Rob<TableType, &wi::Table::type_>;
template struct Rob<TableElements, &wi::Table::elements_>;

inline std::vector<wi::Frame>& frames(wi::Thread& t) { return t.*get(ThreadFrames{}); }
inline std::vector<wi::Value>& values(wi::Thread& t) { return t.*get(ThreadValues{}); }
inline void push_values(wi::Thread& t, const wi::ValueTypes& types, const wi::Values& v) {
  (t.*get(ThreadPushValues{}))(types, v);
}
inline void pop_values(wi::Thread& t, const wi::ValueTypes& types, wi::Values* out) {
  (t.*get(ThreadPopValues{}))(types, out);
}
inline wi::RunResult push_call(wi::Thread& t, const wi::DefinedFunc& f, wi::Trap::Ptr* trap) {
  return (t.*get(ThreadPushCall{}))(f, trap);
}
/// The memory's limits, so a new max_memory_bytes applies to later memory.grow.
inline wabt::Limits& limits(wi::Memory& m) { return (m.*get(MemoryType{})).limits; }
inline wabt::Limits& limits(wi::Table& t) { return (t.*get(TableType{})).limits; }
/// The memory's bytes and its size in pages: the memory pool swaps in a kept buffer
/// (memory_pool.hpp). The two must always agree: bytes == pages * 64 KiB.
/// A table's elements, so a recycled instance gets its table back as instantiated.
inline wi::RefVec& elements(wi::Table& t) { return t.*get(TableElements{}); }
inline wi::Buffer& data(wi::Memory& m) { return m.*get(MemoryData{}); }
inline wi::u64& pages(wi::Memory& m) { return m.*get(MemoryPages{}); }

}  // namespace airssys::wasm::detail
