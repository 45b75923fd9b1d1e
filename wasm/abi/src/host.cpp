#include <airssys/wasm/abi/host.hpp>

#include <string>

#include <airssys/wasm/abi/lift.hpp>

#include "try.hpp"

namespace airssys::wasm::abi {

Host* host_from_user_data(CallContext& context) noexcept { return static_cast<Host*>(context.user_data()); }

namespace {

using Args = std::span<const Value>;
using Results = std::span<Value>;

/// Everything a binding needs: the checked memory, the host, an allocator for results.
struct Call {
  CallContext& ctx;
  Host& host;
  GuestMemory memory() const { return GuestMemory(ctx.memory()); }
};

/// Registers one import. (Not named `bind`: ADL would find std::bind through std::function.) `body(Call&, Args, Results) -> Result<void>`.
template <class Body>
void bind_import(HostFunctions& out, const HostResolver& resolve, Interface iface, std::string_view name, Body body) {
  const FuncSpec* spec = find_import(iface, name);
  if (!spec) std::abort();  // the names below come from the same table: a typo here is a bug
  std::string label = std::string(to_string(iface)) + "." + std::string(name);
  out.define(std::string(module_name(iface)), std::string(name), spec->type,
             [resolve, body, label](CallContext& ctx, Args args, Results results) -> Result<void> {
               Host* host = resolve(ctx);
               if (!host) return fail(Errc::host_error, label + ": no Host is bound to this instance");
               Call call{ctx, *host};
               return body(call, args, results);
             });
}


void define_messaging(HostFunctions& out, const HostResolver& r) {
  constexpr auto I = Interface::messaging;
  bind_import(out, r, I, "send", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[7].u32, kSendResultSize, kSendResultAlign, "messaging.send: result area"));
    AIRSSYS_TRY(auto to, m.string(a[0].u32, a[1].u32, "messaging.send: to"));
    AIRSSYS_TRY(auto payload, m.bytes(a[2].u32, a[3].u32, "messaging.send: payload"));
    AIRSSYS_TRY(auto codec, lift_option_string(m, a[4].u32, a[5].u32, a[6].u32, "messaging.send: codec"));
    auto result = c.host.send(to, payload, codec);
    ContextAllocator alloc(c.ctx);
    return lower_send_result(alloc, a[7].u32, result);
  });
  bind_import(out, r, I, "request", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[5].u32, kSendResultSize, kSendResultAlign, "messaging.request: result area"));
    AIRSSYS_TRY(auto to, m.string(a[0].u32, a[1].u32, "messaging.request: to"));
    AIRSSYS_TRY(auto payload, m.bytes(a[2].u32, a[3].u32, "messaging.request: payload"));
    auto result = c.host.request(to, payload, a[4].u32);
    ContextAllocator alloc(c.ctx);
    return lower_request_result(alloc, a[5].u32, result);
  });
  bind_import(out, r, I, "cancel", [](Call& c, Args a, Results res) -> Result<void> {
    res[0] = Value::i32(c.host.cancel(a[0].u64) ? 1 : 0);
    return {};
  });
  bind_import(out, r, I, "publish", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[4].u32, kSendResultSize, kSendResultAlign, "messaging.publish: result area"));
    AIRSSYS_TRY(auto topic, m.string(a[0].u32, a[1].u32, "messaging.publish: topic"));
    AIRSSYS_TRY(auto payload, m.bytes(a[2].u32, a[3].u32, "messaging.publish: payload"));
    auto result = c.host.publish(topic, payload);
    ContextAllocator alloc(c.ctx);
    return lower_send_result(alloc, a[4].u32, result);
  });
  bind_import(out, r, I, "subscribe", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[2].u32, kSendResultSize, kSendResultAlign, "messaging.subscribe: result area"));
    AIRSSYS_TRY(auto topic, m.string(a[0].u32, a[1].u32, "messaging.subscribe: topic"));
    auto result = c.host.subscribe(topic);
    ContextAllocator alloc(c.ctx);
    return lower_send_result(alloc, a[2].u32, result);
  });
  bind_import(out, r, I, "unsubscribe", [](Call& c, Args a, Results) -> Result<void> {
    AIRSSYS_TRY(auto topic, c.memory().string(a[0].u32, a[1].u32, "messaging.unsubscribe: topic"));
    c.host.unsubscribe(topic);
    return {};
  });
  bind_import(out, r, I, "self-address", [](Call& c, Args a, Results) -> Result<void> {
    AIRSSYS_CHECK(c.memory().check(a[0].u32, kStringRetSize, kStringRetAlign, "messaging.self-address: result area"));
    std::string self = c.host.self_address();
    ContextAllocator alloc(c.ctx);
    return lower_string_at(alloc, a[0].u32, self);
  });
}

void define_services(HostFunctions& out, const HostResolver& r) {
  constexpr auto I = Interface::services;
  bind_import(out, r, I, "log", [](Call& c, Args a, Results) -> Result<void> {
    AIRSSYS_TRY(std::uint32_t level, lift_enum(a[0].u32, 5, "services.log: level"));
    AIRSSYS_TRY(auto text, c.memory().string(a[1].u32, a[2].u32, "services.log: text"));
    c.host.log(static_cast<LogLevel>(level), text);
    return {};
  });
  bind_import(out, r, I, "now-unix-ms", [](Call& c, Args, Results res) -> Result<void> {
    res[0] = Value::i64(c.host.now_unix_ms());
    return {};
  });
  bind_import(out, r, I, "monotonic-ns", [](Call& c, Args, Results res) -> Result<void> {
    res[0] = Value::i64(c.host.monotonic_ns());
    return {};
  });
  bind_import(out, r, I, "set-timer", [](Call& c, Args a, Results res) -> Result<void> {
    AIRSSYS_TRY(auto payload, c.memory().bytes(a[1].u32, a[2].u32, "services.set-timer: payload"));
    res[0] = Value::i64(c.host.set_timer(a[0].u32, payload));
    return {};
  });
  bind_import(out, r, I, "cancel-timer", [](Call& c, Args a, Results res) -> Result<void> {
    res[0] = Value::i32(c.host.cancel_timer(a[0].u64) ? 1 : 0);
    return {};
  });
  bind_import(out, r, I, "random-bytes", [](Call& c, Args a, Results) -> Result<void> {
    AIRSSYS_CHECK(c.memory().check(a[1].u32, kStringRetSize, kStringRetAlign, "services.random-bytes: result area"));
    if (a[0].u32 > kMaxRandomBytes) {
      return fail(Errc::invalid_argument, "services.random-bytes: " + std::to_string(a[0].u32) +
                                              " bytes asked, at most " + std::to_string(kMaxRandomBytes));
    }
    Bytes bytes = c.host.random_bytes(a[0].u32);
    bytes.resize(a[0].u32);  // the contract promises exactly len bytes
    ContextAllocator alloc(c.ctx);
    return lower_bytes_at(alloc, a[1].u32, bytes);
  });
}

void define_storage(HostFunctions& out, const HostResolver& r) {
  constexpr auto I = Interface::storage;
  bind_import(out, r, I, "get", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[2].u32, kStorageResultSize, kStorageResultAlign, "storage.get: result area"));
    AIRSSYS_TRY(auto key, m.string(a[0].u32, a[1].u32, "storage.get: key"));
    auto result = c.host.storage_get(key);
    ContextAllocator alloc(c.ctx);
    return lower_storage_get(alloc, a[2].u32, result);
  });
  bind_import(out, r, I, "set", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[4].u32, kStorageResultSize, kStorageResultAlign, "storage.set: result area"));
    AIRSSYS_TRY(auto key, m.string(a[0].u32, a[1].u32, "storage.set: key"));
    AIRSSYS_TRY(auto value, m.bytes(a[2].u32, a[3].u32, "storage.set: value"));
    auto result = c.host.storage_set(key, value);
    ContextAllocator alloc(c.ctx);
    return lower_storage_unit(alloc, a[4].u32, result);
  });
  bind_import(out, r, I, "delete", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[2].u32, kStorageResultSize, kStorageResultAlign, "storage.delete: result area"));
    AIRSSYS_TRY(auto key, m.string(a[0].u32, a[1].u32, "storage.delete: key"));
    auto result = c.host.storage_delete(key);
    ContextAllocator alloc(c.ctx);
    return lower_storage_bool(alloc, a[2].u32, result);
  });
  bind_import(out, r, I, "list-keys", [](Call& c, Args a, Results) -> Result<void> {
    GuestMemory m = c.memory();
    AIRSSYS_CHECK(m.check(a[3].u32, kStorageResultSize, kStorageResultAlign, "storage.list-keys: result area"));
    AIRSSYS_TRY(auto prefix, m.string(a[0].u32, a[1].u32, "storage.list-keys: prefix"));
    auto result = c.host.storage_list_keys(prefix, a[2].u32);
    if (result && result->size() > a[2].u32) result->resize(a[2].u32);  // the guest's limit binds
    ContextAllocator alloc(c.ctx);
    return lower_storage_keys(alloc, a[3].u32, result);
  });
  bind_import(out, r, I, "usage", [](Call& c, Args a, Results) -> Result<void> {
    AIRSSYS_CHECK(c.memory().check(a[0].u32, kUsageResultSize, kUsageResultAlign, "storage.usage: result area"));
    auto result = c.host.storage_usage();
    ContextAllocator alloc(c.ctx);
    return lower_storage_usage(alloc, a[0].u32, result);
  });
}

}  // namespace

void define_imports(HostFunctions& out, HostResolver resolve, Interfaces which) {
  if (contains(which, Interface::messaging)) define_messaging(out, resolve);
  if (contains(which, Interface::services)) define_services(out, resolve);
  if (contains(which, Interface::storage)) define_storage(out, resolve);
}

const HostFunctions& default_imports() {
  static const HostFunctions functions = [] {
    HostFunctions f;
    define_imports(f, host_from_user_data, kAllInterfaces);
    return f;
  }();
  return functions;
}

}  // namespace airssys::wasm::abi
