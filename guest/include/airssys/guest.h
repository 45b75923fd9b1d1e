/* airssys guest SDK for C: write a component of the airssys:component@0.1.0 world.
 *
 * Start here. A component is one C file that includes this header and implements
 * `as_handle_message` (and optionally as_init, as_handle_response, as_health, as_shutdown):
 *
 *     #include <airssys/guest.h>
 *     void as_handle_message(const as_message *msg, as_reply *reply) {
 *       as_reply_bytes(reply, msg->payload.ptr, msg->payload.len);   // echo
 *     }
 *
 * Build it with `airssys_add_guest(echo SOURCES echo.c)` (cmake/guest.cmake); the SDK source
 * (guest/src/guest.c) is compiled into every guest. It defines:
 *   - the lifecycle exports `airssys:component/lifecycle@0.1.0#...`, `cabi_realloc` and the
 *     post-return functions, translating the canonical ABI into the callbacks below;
 *   - a small allocator (as_malloc / as_free / as_realloc) over memory.grow, and memcpy, memset,
 *     memmove, memcmp, strlen: guests are freestanding (wasm32, no libc, no WASI imports), so a
 *     guest imports only the airssys interfaces it calls;
 *   - typed wrappers for every import (as_send, as_request, ..., as_storage_get, ...).
 *
 * Memory ownership (see docs/guest-guide.md):
 *   - Arguments passed to your callbacks (as_message, as_config, as_response) are BORROWED: they
 *     are valid until the callback returns; their memory is reused afterwards (they live in a
 *     per-call arena, not on the heap). Copy what you keep.
 *   - What you answer through as_reply_* is copied by the SDK into the same arena and released
 *     when the next call begins (the host has read it by then).
 *   - Strings and lists an import returns (as_string, as_buf, error texts) are OWNED by you:
 *     release them with the matching *_free function.
 *
 * Single-threaded: a component instance is driven by one actor, one call at a time.
 */
#ifndef AIRSSYS_GUEST_H
#define AIRSSYS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Strings and byte lists                                                                     */

/** A borrowed UTF-8 string (not NUL-terminated). */
typedef struct as_str {
  const char *ptr;
  size_t len;
} as_str;

/** A borrowed byte list. */
typedef struct as_bytes {
  const uint8_t *ptr;
  size_t len;
} as_bytes;

/** An owned UTF-8 string (allocated with as_malloc); release with as_string_free. */
typedef struct as_string {
  char *ptr;
  size_t len;
} as_string;

/** An owned byte list (allocated with as_malloc); release with as_buf_free. */
typedef struct as_buf {
  uint8_t *ptr;
  size_t len;
} as_buf;

/** A list of owned strings (storage.list-keys); release with as_string_list_free. */
typedef struct as_string_list {
  as_string *ptr;
  size_t len;
} as_string_list;

size_t strlen(const char *s);

/** Borrow a NUL-terminated C string. */
static inline as_str as_cstr(const char *s) {
  as_str r = {s, s ? __builtin_strlen(s) : 0};
  return r;
}
/** Borrow raw bytes. */
static inline as_bytes as_bytes_of(const void *p, size_t n) {
  as_bytes r = {(const uint8_t *)p, n};
  return r;
}
/** View an as_str as bytes (payloads are often text). */
static inline as_bytes as_str_bytes(as_str s) { return as_bytes_of(s.ptr, s.len); }
/** True when `s` equals the C string `lit`. */
bool as_str_eq(as_str s, const char *lit);
/** True when `s` starts with the C string `prefix`. */
bool as_str_starts_with(as_str s, const char *prefix);

/** A string literal as an as_str, computed at compile time. */
#define AS_LIT(lit) (as_str){(lit), sizeof(lit) - 1}

void as_string_free(as_string *s);
void as_buf_free(as_buf *b);
void as_string_list_free(as_string_list *l);

/* ------------------------------------------------------------------------------------------ */
/* Memory: the guest's allocator, also behind cabi_realloc. Blocks are 8-byte aligned.          */

void *as_malloc(size_t size);
void as_free(void *ptr);
void *as_realloc(void *ptr, size_t size);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Small text helpers (no printf in a freestanding guest). */
/** Writes `v` in decimal into buf (at least 21 bytes); returns the number of characters. */
size_t as_u64_to_dec(uint64_t v, char *buf);
/** Parses a decimal prefix of `s`; stops at the first non-digit. */
uint64_t as_dec_to_u64(as_str s);

/* ------------------------------------------------------------------------------------------ */
/* Types of the contract (interface `types`)                                                  */

/** One configuration entry: settings: list<tuple<string, string>>. */
typedef struct as_setting {
  as_str key;
  as_str value;
} as_setting;

/** record config, borrowed for the duration of as_init. */
typedef struct as_config {
  as_str address;
  const as_setting *settings;
  size_t settings_len;
  bool has_data;
  as_bytes data;
} as_config;

/** Looks up a setting; returns false (and leaves *value alone) when the key is absent. */
bool as_config_get(const as_config *cfg, const char *key, as_str *value);

/** record message, borrowed for the duration of as_handle_message. */
typedef struct as_message {
  as_str from;
  as_bytes payload;
  bool has_codec;
  as_str codec; /* e.g. "raw", "json", "airssys/timer" */
  bool has_correlation;
  uint64_t correlation; /* set when the sender awaits an answer */
  bool has_topic;
  as_str topic; /* set when the message came through pub/sub */
} as_message;

/** variant request-error (cases in WIT order). */
typedef enum as_request_error_kind {
  AS_REQUEST_TIMEOUT = 0,
  AS_REQUEST_CANCELLED = 1,
  AS_REQUEST_DENIED = 2,           /* text: reason */
  AS_REQUEST_TARGET_NOT_FOUND = 3, /* text: address */
  AS_REQUEST_TARGET_FAILED = 4,    /* text: reason */
  AS_REQUEST_QUEUE_FULL = 5,
} as_request_error_kind;

/** record response, borrowed for the duration of as_handle_response. */
typedef struct as_response {
  uint64_t correlation;
  as_str from;
  bool ok;
  as_bytes payload;            /* when ok */
  as_request_error_kind error; /* when !ok */
  as_str error_text;           /* when !ok and the case carries a string; else empty */
} as_response;

typedef enum as_log_level {
  AS_LOG_TRACE = 0,
  AS_LOG_DEBUG = 1,
  AS_LOG_INFO = 2,
  AS_LOG_WARN = 3,
  AS_LOG_ERROR = 4,
} as_log_level;

typedef enum as_health_status {
  AS_HEALTHY = 0,
  AS_DEGRADED = 1,
  AS_UNHEALTHY = 2,
} as_health_status;

/* ------------------------------------------------------------------------------------------ */
/* Exports: the callbacks you implement                                                       */

/** The outcome of as_init / as_handle_message. Fill it with as_reply_* / as_fail*. */
typedef struct as_reply {
  int kind; /* 0: ok(none), 1: ok(some(payload)), 2: err(text) */
  uint8_t *ptr;
  size_t len;
} as_reply;

/** Back to ok(none), dropping anything answered so far. */
void as_reply_clear(as_reply *reply);
/** Answer with a payload (copied). For init, the payload is ignored. */
void as_reply_bytes(as_reply *reply, const void *data, size_t len);
/** Answer with text as payload (copied). */
void as_reply_str(as_reply *reply, as_str text);
/** Fail: init returns err(text); handle-message returns err(text) (the request fails, the
 *  component lives on). `text` must be UTF-8. */
void as_fail(as_reply *reply, const char *text);
void as_fail_str(as_reply *reply, as_str text);

/** Required. Handles one message; leave `reply` untouched to return ok(none). */
void as_handle_message(const as_message *msg, as_reply *reply);
/** Optional (default: succeed). Called once, before any message. */
void as_init(const as_config *cfg, as_reply *reply);
/** Optional (default: ignore). The answer to an earlier as_request, or its timeout/cancel. */
void as_handle_response(const as_response *resp);
/** Optional (default: AS_HEALTHY). */
as_health_status as_health(void);
/** Optional (default: nothing). Called before the instance is dropped. */
void as_shutdown(void);

/* ------------------------------------------------------------------------------------------ */
/* Imports: messaging                                                                         */

typedef enum as_send_error_kind {
  AS_SEND_DENIED = 0,           /* text: reason */
  AS_SEND_TARGET_NOT_FOUND = 1, /* text: address */
  AS_SEND_QUEUE_FULL = 2,
  AS_SEND_TOO_LARGE = 3, /* limit: the maximum size in bytes */
} as_send_error_kind;

/** variant send-error. `text` is owned: as_send_error_free. */
typedef struct as_send_error {
  as_send_error_kind kind;
  as_string text;
  uint64_t limit;
} as_send_error;
void as_send_error_free(as_send_error *err);

/* Each fallible call returns true on success; on failure it fills *err when err is not NULL
 * (and frees the error's text itself when err is NULL). */

/** Fire-and-forget message to `to`; `codec` may be NULL (none). */
bool as_send(as_str to, as_bytes payload, const as_str *codec, as_send_error *err);
/** Request: the answer arrives later through as_handle_response with correlation *id. */
bool as_request(as_str to, as_bytes payload, uint32_t timeout_ms, uint64_t *id, as_send_error *err);
/** Cancels a pending request; true if it was still pending. */
bool as_cancel(uint64_t id);
bool as_publish(as_str topic, as_bytes payload, as_send_error *err);
bool as_subscribe(as_str topic, as_send_error *err);
void as_unsubscribe(as_str topic);
/** This component's own address (owned). */
as_string as_self_address(void);

/* ------------------------------------------------------------------------------------------ */
/* Imports: services                                                                          */

void as_log(as_log_level level, as_str text);
/** as_log with a C string. */
void as_log_cstr(as_log_level level, const char *text);
uint64_t as_now_unix_ms(void);
uint64_t as_monotonic_ns(void);
/** Delivers `payload` back to this component after delay_ms, as a message with codec
 *  "airssys/timer". Returns the timer id. */
uint64_t as_set_timer(uint32_t delay_ms, as_bytes payload);
bool as_cancel_timer(uint64_t id);
/** `len` random bytes (owned). */
as_buf as_random_bytes(uint32_t len);

/* ------------------------------------------------------------------------------------------ */
/* Imports: storage (a key-value namespace private to the component)                          */

typedef enum as_storage_error_kind {
  AS_STORAGE_DENIED = 0, /* text */
  AS_STORAGE_QUOTA_EXCEEDED = 1,
  AS_STORAGE_INVALID_KEY = 2, /* text */
  AS_STORAGE_IO = 3,          /* text */
} as_storage_error_kind;

typedef struct as_storage_error {
  as_storage_error_kind kind;
  as_string text;
} as_storage_error;
void as_storage_error_free(as_storage_error *err);

typedef struct as_usage {
  uint64_t bytes;
  uint64_t keys;
  uint64_t quota_bytes;
} as_usage;

/** On success *found tells whether the key exists; *value (owned) is set when found. */
bool as_storage_get(as_str key, bool *found, as_buf *value, as_storage_error *err);
bool as_storage_set(as_str key, as_bytes value, as_storage_error *err);
/** On success *existed (may be NULL) tells whether the key was there. */
bool as_storage_delete(as_str key, bool *existed, as_storage_error *err);
/** Keys starting with `prefix`, at most `limit` of them (owned). */
bool as_storage_list_keys(as_str prefix, uint32_t limit, as_string_list *keys, as_storage_error *err);
bool as_storage_usage(as_usage *usage, as_storage_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Raw imports: the exact core signatures of docs/abi-signatures.md. Pointers are plain i32.
 * Normal code uses the typed wrappers above; these exist for tests of the host's checks. */

#define AS_IMPORT(iface, fn)                                                  \
  __attribute__((import_module("airssys:component/" iface "@0.1.0"),          \
                 import_name(fn)))

AS_IMPORT("messaging", "send")
void as_import_send(uint32_t to_ptr, uint32_t to_len, uint32_t payload_ptr, uint32_t payload_len,
                    uint32_t codec_disc, uint32_t codec_ptr, uint32_t codec_len, uint32_t retptr);
AS_IMPORT("messaging", "request")
void as_import_request(uint32_t to_ptr, uint32_t to_len, uint32_t payload_ptr,
                       uint32_t payload_len, uint32_t timeout_ms, uint32_t retptr);
AS_IMPORT("messaging", "cancel") uint32_t as_import_cancel(uint64_t id);
AS_IMPORT("messaging", "publish")
void as_import_publish(uint32_t topic_ptr, uint32_t topic_len, uint32_t payload_ptr,
                       uint32_t payload_len, uint32_t retptr);
AS_IMPORT("messaging", "subscribe")
void as_import_subscribe(uint32_t topic_ptr, uint32_t topic_len, uint32_t retptr);
AS_IMPORT("messaging", "unsubscribe")
void as_import_unsubscribe(uint32_t topic_ptr, uint32_t topic_len);
AS_IMPORT("messaging", "self-address") void as_import_self_address(uint32_t retptr);

AS_IMPORT("services", "log")
void as_import_log(uint32_t level, uint32_t text_ptr, uint32_t text_len);
AS_IMPORT("services", "now-unix-ms") uint64_t as_import_now_unix_ms(void);
AS_IMPORT("services", "monotonic-ns") uint64_t as_import_monotonic_ns(void);
AS_IMPORT("services", "set-timer")
uint64_t as_import_set_timer(uint32_t delay_ms, uint32_t payload_ptr, uint32_t payload_len);
AS_IMPORT("services", "cancel-timer") uint32_t as_import_cancel_timer(uint64_t id);
AS_IMPORT("services", "random-bytes") void as_import_random_bytes(uint32_t len, uint32_t retptr);

AS_IMPORT("storage", "get") void as_import_storage_get(uint32_t key_ptr, uint32_t key_len, uint32_t retptr);
AS_IMPORT("storage", "set")
void as_import_storage_set(uint32_t key_ptr, uint32_t key_len, uint32_t value_ptr,
                           uint32_t value_len, uint32_t retptr);
AS_IMPORT("storage", "delete")
void as_import_storage_delete(uint32_t key_ptr, uint32_t key_len, uint32_t retptr);
AS_IMPORT("storage", "list-keys")
void as_import_storage_list_keys(uint32_t prefix_ptr, uint32_t prefix_len, uint32_t limit,
                                 uint32_t retptr);
AS_IMPORT("storage", "usage") void as_import_storage_usage(uint32_t retptr);

#undef AS_IMPORT

/** A guest pointer as the i32 the canonical ABI passes. */
#define AS_PTR(p) ((uint32_t)(uintptr_t)(p))

#ifdef __cplusplus
}
#endif

#endif /* AIRSSYS_GUEST_H */
