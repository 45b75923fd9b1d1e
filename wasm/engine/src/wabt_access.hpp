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

/// Private<T> names one private member by its member-pointer type (each member reached here has a
/// type of its own); its `get` is defined by the instantiation of Rob below.
template <class T>
struct Private {
  using type = T;
  friend type get(Private);
};
template <class Tag, typename Tag::type Member>
struct Rob {
  friend typename Tag::type get(Tag) { return Member; }
};

using ThreadFrames = Private<std::vector<wi::Frame> wi::Thread::*>;
using ThreadValues = Private<std::vector<wi::Value> wi::Thread::*>;
using ThreadPushValues = Private<void (wi::Thread::*)(const wi::ValueTypes&, const wi::Values&)>;
using ThreadPopValues = Private<void (wi::Thread::*)(const wi::ValueTypes&, wi::Values*)>;
using ThreadPushCall = Private<wi::RunResult (wi::Thread::*)(const wi::DefinedFunc&, wi::Trap::Ptr*)>;
using MemoryType = Private<wi::MemoryType wi::Memory::*>;
using MemoryData = Private<wi::Buffer wi::Memory::*>;
using MemoryPages = Private<wi::u64 wi::Memory::*>;
using TableType = Private<wi::TableType wi::Table::*>;
using TableElements = Private<wi::RefVec wi::Table::*>;

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
