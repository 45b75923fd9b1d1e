// airssys guest SDK for C++: a thin layer over <airssys/guest.h>.
//
// Guests are freestanding (no libc++), so this header uses no standard library: it adds string
// views that convert from literals, owning RAII wrappers for what imports return, and
// AIRSSYS_COMPONENT(T) to route the lifecycle callbacks to an object of your class:
//
//   struct Echo {
//     void handle_message(const as_message& msg, as_reply& reply) {
//       airssys::guest::reply(reply, msg.payload);
//     }
//   };
//   AIRSSYS_COMPONENT(Echo)
//
// Build C++ guests with -fno-exceptions -fno-rtti (airssys_add_guest does).
#pragma once

#include <airssys/guest.h>

namespace airssys::guest {

/// A borrowed UTF-8 string; converts from literals and C strings.
struct Str {
  const char* ptr = nullptr;
  size_t len = 0;
  constexpr Str() = default;
  constexpr Str(const char* p, size_t n) : ptr(p), len(n) {}
  Str(const char* cstr) : ptr(cstr), len(cstr ? __builtin_strlen(cstr) : 0) {}  // NOLINT: implicit on purpose
  constexpr Str(as_str s) : ptr(s.ptr), len(s.len) {}                            // NOLINT
  constexpr operator as_str() const { return as_str{ptr, len}; }
  as_bytes bytes() const { return as_bytes{reinterpret_cast<const uint8_t*>(ptr), len}; }
  bool operator==(const char* lit) const { return as_str_eq(*this, lit); }
  bool starts_with(const char* prefix) const { return as_str_starts_with(*this, prefix); }
  constexpr Str substr(size_t from) const { return from >= len ? Str{} : Str{ptr + from, len - from}; }
};

/// An owned string returned by an import; freed on destruction. Move-only.
class String {
 public:
  String() = default;
  explicit String(as_string s) : s_(s) {}
  String(String&& o) noexcept : s_(o.s_) { o.s_ = {nullptr, 0}; }
  String& operator=(String&& o) noexcept {
    if (this != &o) {
      as_string_free(&s_);
      s_ = o.s_;
      o.s_ = {nullptr, 0};
    }
    return *this;
  }
  String(const String&) = delete;
  String& operator=(const String&) = delete;
  ~String() { as_string_free(&s_); }
  Str view() const { return Str{s_.ptr, s_.len}; }

 private:
  as_string s_{nullptr, 0};
};

/// An owned byte buffer returned by an import; freed on destruction. Move-only.
class Buf {
 public:
  Buf() = default;
  explicit Buf(as_buf b) : b_(b) {}
  Buf(Buf&& o) noexcept : b_(o.b_) { o.b_ = {nullptr, 0}; }
  Buf& operator=(Buf&& o) noexcept {
    if (this != &o) {
      as_buf_free(&b_);
      b_ = o.b_;
      o.b_ = {nullptr, 0};
    }
    return *this;
  }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  ~Buf() { as_buf_free(&b_); }
  const uint8_t* data() const { return b_.ptr; }
  size_t size() const { return b_.len; }
  as_bytes bytes() const { return as_bytes{b_.ptr, b_.len}; }

 private:
  as_buf b_{nullptr, 0};
};

// Answering. The SDK copies the data.
inline void reply(as_reply& r, as_bytes payload) { as_reply_bytes(&r, payload.ptr, payload.len); }
inline void reply(as_reply& r, Str text) { as_reply_str(&r, text); }
inline void fail(as_reply& r, Str text) { as_fail_str(&r, text); }

// Imports. Fallible calls return true on success; errors are logged by the caller if wanted.
inline bool send(Str to, as_bytes payload) { return as_send(to, payload, nullptr, nullptr); }
inline bool send(Str to, as_bytes payload, Str codec) {
  as_str c = codec;
  return as_send(to, payload, &c, nullptr);
}
inline bool request(Str to, as_bytes payload, uint32_t timeout_ms, uint64_t& id) {
  return as_request(to, payload, timeout_ms, &id, nullptr);
}
inline bool cancel(uint64_t id) { return as_cancel(id); }
inline bool publish(Str topic, as_bytes payload) { return as_publish(topic, payload, nullptr); }
inline bool subscribe(Str topic) { return as_subscribe(topic, nullptr); }
inline void unsubscribe(Str topic) { as_unsubscribe(topic); }
inline String self_address() { return String(as_self_address()); }

inline void log(as_log_level level, Str text) { as_log(level, text); }
inline uint64_t now_unix_ms() { return as_now_unix_ms(); }
inline uint64_t monotonic_ns() { return as_monotonic_ns(); }
inline uint64_t set_timer(uint32_t delay_ms, as_bytes payload) { return as_set_timer(delay_ms, payload); }
inline bool cancel_timer(uint64_t id) { return as_cancel_timer(id); }
inline Buf random_bytes(uint32_t len) { return Buf(as_random_bytes(len)); }

}  // namespace airssys::guest

namespace airssys::guest::detail {
// Templates, so that the branch for a callback T does not define is discarded.
template <class T>
void init(T& t, const as_config& cfg, as_reply& reply) {
  if constexpr (requires { t.init(cfg, reply); }) t.init(cfg, reply);
}
template <class T>
void handle_response(T& t, const as_response& resp) {
  if constexpr (requires { t.handle_response(resp); }) t.handle_response(resp);
}
template <class T>
as_health_status health(T& t) {
  if constexpr (requires { t.health(); })
    return t.health();
  else
    return AS_HEALTHY;
}
template <class T>
void shutdown(T& t) {
  if constexpr (requires { t.shutdown(); }) t.shutdown();
}
}  // namespace airssys::guest::detail

/// Routes the lifecycle callbacks to one object of class T (a static; C++ static constructors
/// run before the first export, see guest.c). T must define
/// `void handle_message(const as_message&, as_reply&)`; it may define
/// `void init(const as_config&, as_reply&)`, `void handle_response(const as_response&)`,
/// `as_health_status health()` and `void shutdown()` (detected at compile time).
#define AIRSSYS_COMPONENT(T)                                                                                 \
  static T airssys_component_object;                                                                         \
  extern "C" void as_handle_message(const as_message* msg, as_reply* reply) {                                \
    airssys_component_object.handle_message(*msg, *reply);                                                   \
  }                                                                                                          \
  extern "C" void as_init(const as_config* cfg, as_reply* reply) {                                           \
    airssys::guest::detail::init(airssys_component_object, *cfg, *reply);                                    \
  }                                                                                                          \
  extern "C" void as_handle_response(const as_response* resp) {                                             \
    airssys::guest::detail::handle_response(airssys_component_object, *resp);                                \
  }                                                                                                          \
  extern "C" as_health_status as_health(void) { return airssys::guest::detail::health(airssys_component_object); } \
  extern "C" void as_shutdown(void) { airssys::guest::detail::shutdown(airssys_component_object); }
