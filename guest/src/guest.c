/* The airssys guest SDK runtime, compiled into every guest (see airssys/guest.h).
 *
 * It is freestanding by default: no libc, no WASI. Built for wasm32-wasi (__wasi__: a wasi-libc
 * reactor, airssys_add_guest(... WASI), docs/wasi.md) it leaves memory functions and the allocator
 * to libc, and constructors to the reactor's `_initialize`, which the host calls before `init`. Compiled with -ffreestanding (implies -fno-builtin) so
 * that the compiler does not turn the memcpy loop below into a call to memcpy itself.
 * Layouts follow docs/abi-signatures.md; the _Static_asserts pin them. */
#include <airssys/guest.h>

/* ------------------------------------------------------------------------------------------ */
/* memory functions                                                                           */

/* With bulk memory (-mbulk-memory, the default of airssys_add_guest) these are single
 * memory.copy / memory.fill instructions: far cheaper in an interpreter than a loop. */
#ifndef __wasi__
#ifdef __wasm_bulk_memory__
void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n); /* lowered to memory.copy, not to a call of memcpy */
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
#else
void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  /* Word copies when both are aligned: the interpreter pays per instruction. */
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8) *(uint64_t *)d = *(const uint64_t *)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  while (n--) *d++ = (uint8_t)c;
  return dst;
}
#endif

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
#endif /* !__wasi__ */

bool as_str_eq(as_str s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

bool as_str_starts_with(as_str s, const char *prefix) {
  size_t n = strlen(prefix);
  return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

size_t as_u64_to_dec(uint64_t v, char *buf) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return n;
}

uint64_t as_dec_to_u64(as_str s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; ++i) v = v * 10 + (uint64_t)(s.ptr[i] - '0');
  return v;
}

/* ------------------------------------------------------------------------------------------ */
/* allocator: power-of-two size classes over a bump pointer that grows linear memory.
 * O(1) malloc/free, no coalescing (waste < 2x); enough for message-sized buffers. Each block has
 * an 8-byte header holding its class, so free needs no size and payloads stay 8-aligned. */

#ifdef __wasi__
/* wasi-libc's allocator owns the heap: a second allocator growing memory would fight it. */
void *malloc(size_t size);
void free(void *ptr);
void *realloc(void *ptr, size_t size);
void *as_malloc(size_t size) { return malloc(size); }
void as_free(void *ptr) { free(ptr); }
void *as_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
#else
extern unsigned char __heap_base;

#define AS_MIN_CLASS 4 /* 16-byte blocks */
#define AS_NUM_CLASSES 32
#define AS_PAGE 65536u

typedef struct as_block {
  uint32_t klass;
  uint32_t magic;
} as_block;
#define AS_MAGIC 0xA5512E57u

static void *as_free_lists[AS_NUM_CLASSES];
static uintptr_t as_bump;

/* The smallest class whose blocks hold `total` bytes: ceil(log2(total)), one i32.clz. */
static unsigned as_class_for(size_t total) {
  if (total <= ((size_t)1 << AS_MIN_CLASS)) return AS_MIN_CLASS;
  return 32u - (unsigned)__builtin_clz((unsigned)(total - 1));
}

/* Takes `size` bytes from the top of the heap, growing memory when needed; 0 if refused. */
static uintptr_t as_bump_take(size_t size) {
  if (as_bump == 0) as_bump = ((uintptr_t)&__heap_base + 7) & ~(uintptr_t)7;
  uintptr_t end = (uintptr_t)__builtin_wasm_memory_size(0) * AS_PAGE;
  if (as_bump + size < as_bump) return 0; /* wrapped around 4 GiB */
  if (as_bump + size > end) {
    size_t missing = as_bump + size - end;
    size_t pages = (missing + AS_PAGE - 1) / AS_PAGE;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  uintptr_t p = as_bump;
  as_bump += size;
  return p;
}

void *as_malloc(size_t size) {
  if (size > ((size_t)1 << 30)) return 0;
  unsigned k = as_class_for(size + sizeof(as_block));
  as_block *b = (as_block *)as_free_lists[k];
  if (b) {
    as_free_lists[k] = *(void **)(b + 1);
  } else {
    b = (as_block *)as_bump_take((size_t)1 << k);
    if (!b) return 0;
  }
  b->klass = k;
  b->magic = AS_MAGIC;
  return b + 1;
}

void as_free(void *ptr) {
  if (!ptr) return;
  as_block *b = (as_block *)ptr - 1;
  if (b->magic != AS_MAGIC || b->klass >= AS_NUM_CLASSES) __builtin_trap(); /* double free / wild */
  b->magic = 0;
  *(void **)ptr = as_free_lists[b->klass];
  as_free_lists[b->klass] = b;
}

void *as_realloc(void *ptr, size_t size) {
  if (!ptr) return as_malloc(size);
  as_block *b = (as_block *)ptr - 1;
  size_t capacity = ((size_t)1 << b->klass) - sizeof(as_block);
  if (size <= capacity) return ptr;
  void *q = as_malloc(size);
  if (!q) return 0;
  memcpy(q, ptr, capacity);
  as_free(ptr);
  return q;
}
#endif /* __wasi__ */

/* ------------------------------------------------------------------------------------------ */
/* the call arena                                                                             */

/* The host places an export's arguments (strings, lists) in guest memory through cabi_realloc
 * just before it calls the export, and reads the export's results right after it returns.
 * All of that lives exactly as long as the call, so it comes from a bump arena that is emptied
 * when the call is over (lazily: when the next call begins) instead of from
 * the heap: no size classes and no free per argument, which in an interpreter is most of the
 * SDK's work per message. What does not fit in the static block is taken from the heap and
 * freed with the arena. During an export, cabi_realloc serves the host returning an import's
 * results, which the component owns (as_*_free): those still come from the heap. */
#define AS_ARENA_SIZE 4096
static _Alignas(8) uint8_t as_arena[AS_ARENA_SIZE];
static size_t as_arena_used;
static uint8_t *as_arena_spilled; /* heap blocks, each linked through its first 8 bytes */
static bool as_in_export;

static void *as_arena_take(size_t size) {
  size_t at = (as_arena_used + 7) & ~(size_t)7;
  if (at <= AS_ARENA_SIZE && size <= AS_ARENA_SIZE - at) {
    as_arena_used = at + size;
    return as_arena + at;
  }
  if (size > ((size_t)1 << 30)) return 0;
  uint8_t *block = (uint8_t *)as_malloc(size + 8);
  if (!block) return 0;
  *(uint8_t **)block = as_arena_spilled;
  as_arena_spilled = block;
  return block + 8;
}

/* Out of line: the common reset touches nothing but the counter (every local of a function
 * costs an interpreted call its initialisation). */
__attribute__((noinline)) static void as_arena_free_spilled(void) {
  while (as_arena_spilled) {
    uint8_t *next = *(uint8_t **)as_arena_spilled;
    as_free(as_arena_spilled);
    as_arena_spilled = next;
  }
}

static void as_arena_reset(void) {
  as_arena_used = 0;
  if (as_arena_spilled) as_arena_free_spilled();
}

/* The argument area (an airssys extension of the canonical ABI, docs/abi-signatures.md): the
 * host writes an export's arguments here while they fit, instead of calling cabi_realloc once
 * per string or list; only what does not fit comes through cabi_realloc (into the arena). Both
 * are released with the call, which is why the host may do this: the SDK never frees an
 * argument by itself. */
#define AS_ARG_AREA_SIZE 4096
static _Alignas(8) uint8_t as_arg_area[AS_ARG_AREA_SIZE];
static uint32_t as_arg_area_desc[2];

__attribute__((export_name("airssys-arg-area"))) uint32_t *as_export_arg_area(void) {
  as_arg_area_desc[0] = (uint32_t)(uintptr_t)as_arg_area;
  as_arg_area_desc[1] = AS_ARG_AREA_SIZE;
  return as_arg_area_desc;
}

/* Export wrappers bracket the component's callback with these. The arena is emptied lazily, when
 * the next call begins (its first cabi_realloc or its export): by then the host has read this
 * call's results. So the SDK exports no post-return functions, which saves the host one guest
 * call per message. */
static bool as_arena_dirty;
/* A new call begins: what the last one left in the arena has been read. */
static void as_arena_begin_call(void) {
  if (as_arena_dirty) {
    as_arena_reset();
    as_arena_dirty = false;
  }
}
static void as_export_enter(void) {
  as_arena_begin_call();
  as_in_export = true;
}
static void as_export_leave(void) {
  as_in_export = false;
  as_arena_dirty = true;
}

/* The canonical ABI's allocator. The host calls it to place arguments and results in guest
 * memory. Failure traps: the canonical ABI has no way to report it. */
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old_ptr, size_t old_size, size_t align,
                                                                   size_t new_size) {
  if (align > 8) __builtin_trap();
  void *p;
  if (as_in_export) {
    p = as_realloc(old_ptr, new_size);
  } else {
    as_arena_begin_call();
    p = as_arena_take(new_size);
    if (p && old_ptr) memcpy(p, old_ptr, old_size < new_size ? old_size : new_size);
  }
  if (!p) __builtin_trap();
  return p;
}

/* ------------------------------------------------------------------------------------------ */
/* owned values                                                                               */

void as_string_free(as_string *s) {
  if (!s) return;
  as_free(s->ptr);
  s->ptr = 0;
  s->len = 0;
}

void as_buf_free(as_buf *b) {
  if (!b) return;
  as_free(b->ptr);
  b->ptr = 0;
  b->len = 0;
}

void as_string_list_free(as_string_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->len; ++i) as_string_free(&l->ptr[i]);
  as_free(l->ptr);
  l->ptr = 0;
  l->len = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* exports: lifecycle                                                                         */

#define AS_LIFECYCLE "airssys:component/lifecycle@0.1.0#"

void __wasm_call_ctors(void);
static bool as_ctors_done;

/* Runs C++ static constructors once. Referencing __wasm_call_ctors ourselves also stops wasm-ld
 * from wrapping every export in a ctor call (its "command" behaviour), which would reset state. */
static void as_ensure_ctors(void) {
#ifdef __wasi__
  (void)as_ctors_done; /* a wasi-libc reactor runs them (and libc's) in `_initialize` */
  return;
#endif
  if (!as_ctors_done) {
    as_ctors_done = true;
    __wasm_call_ctors();
  }
}

/* The export return area: one per module, as wit-bindgen does. Calls never nest. */
static _Alignas(8) uint8_t as_ret_area[16];

typedef struct as_raw_result_string { /* result<_, string>, size 12 align 4 */
  uint8_t is_err;
  const char *ptr;
  size_t len;
} as_raw_result_string;
_Static_assert(sizeof(as_raw_result_string) == 12, "init return area");
_Static_assert(__builtin_offsetof(as_raw_result_string, ptr) == 4, "init return area");

typedef struct as_raw_result_option_list { /* result<option<list<u8>>, string>, size 16 */
  uint8_t is_err;
  union {
    struct {
      uint8_t is_some;
      const uint8_t *ptr;
      size_t len;
    } ok;
    struct {
      const char *ptr;
      size_t len;
    } err;
  } v;
} as_raw_result_option_list;
_Static_assert(sizeof(as_raw_result_option_list) == 16, "handle-message return area");
_Static_assert(__builtin_offsetof(as_raw_result_option_list, v.ok.ptr) == 8, "handle-message ok");
_Static_assert(__builtin_offsetof(as_raw_result_option_list, v.err.ptr) == 4, "handle-message err");

/* A reply is part of the export's results: it lives in the call arena until the next call. */
static void as_reply_set(as_reply *r, int kind, const void *data, size_t len) {
  uint8_t *copy = (uint8_t *)as_arena_take(len ? len : 1);
  if (!copy) __builtin_trap();
  memcpy(copy, data, len);
  r->kind = kind;
  r->ptr = copy;
  r->len = len;
}

void as_reply_clear(as_reply *reply) {
  reply->kind = 0;
  reply->ptr = 0;
  reply->len = 0;
}
void as_reply_bytes(as_reply *reply, const void *data, size_t len) { as_reply_set(reply, 1, data, len); }
void as_reply_str(as_reply *reply, as_str text) { as_reply_set(reply, 1, text.ptr, text.len); }
void as_fail_str(as_reply *reply, as_str text) { as_reply_set(reply, 2, text.ptr, text.len); }
void as_fail(as_reply *reply, const char *text) { as_fail_str(reply, as_cstr(text)); }

bool as_config_get(const as_config *cfg, const char *key, as_str *value) {
  for (size_t i = 0; i < cfg->settings_len; ++i) {
    if (as_str_eq(cfg->settings[i].key, key)) {
      *value = cfg->settings[i].value;
      return true;
    }
  }
  return false;
}

/* Default callbacks; a component overrides them by defining the same function. */
__attribute__((weak)) void as_init(const as_config *cfg, as_reply *reply) { (void)cfg, (void)reply; }
__attribute__((weak)) void as_handle_response(const as_response *resp) { (void)resp; }
__attribute__((weak)) as_health_status as_health(void) { return AS_HEALTHY; }
__attribute__((weak)) void as_shutdown(void) {}

__attribute__((export_name(AS_LIFECYCLE "init"))) uint8_t *as_export_init(
    const char *addr_ptr, size_t addr_len, as_str *settings, size_t settings_len, uint32_t data_disc,
    const uint8_t *data_ptr, size_t data_len) {
  as_ensure_ctors();
  as_export_enter();
  as_config cfg = {{addr_ptr, addr_len}, (const as_setting *)settings, settings_len, data_disc != 0,
                   {data_ptr, data_len}};
  as_reply reply = {0, 0, 0};
  as_init(&cfg, &reply);
  as_raw_result_string *ret = (as_raw_result_string *)as_ret_area;
  ret->is_err = reply.kind == 2;
  ret->ptr = ret->is_err ? (const char *)reply.ptr : 0;
  ret->len = ret->is_err ? reply.len : 0;
  as_export_leave();
  return as_ret_area;
}

__attribute__((export_name(AS_LIFECYCLE "handle-message"))) uint8_t *as_export_handle_message(
    const char *from_ptr, size_t from_len, const uint8_t *payload_ptr, size_t payload_len, uint32_t codec_disc,
    const char *codec_ptr, size_t codec_len, uint32_t corr_disc, uint64_t corr, uint32_t topic_disc,
    const char *topic_ptr, size_t topic_len) {
  as_ensure_ctors();
  as_export_enter();
  as_message msg = {{from_ptr, from_len},
                    {payload_ptr, payload_len},
                    codec_disc != 0,
                    {codec_ptr, codec_len},
                    corr_disc != 0,
                    corr,
                    topic_disc != 0,
                    {topic_ptr, topic_len}};
  as_reply reply = {0, 0, 0};
  as_handle_message(&msg, &reply);
  as_raw_result_option_list *ret = (as_raw_result_option_list *)as_ret_area;
  if (reply.kind == 2) {
    ret->is_err = 1;
    ret->v.err.ptr = (const char *)reply.ptr;
    ret->v.err.len = reply.len;
  } else {
    ret->is_err = 0;
    ret->v.ok.is_some = reply.kind == 1;
    ret->v.ok.ptr = reply.ptr;
    ret->v.ok.len = reply.len;
  }
  as_export_leave();
  return as_ret_area;
}

__attribute__((export_name(AS_LIFECYCLE "handle-response"))) void as_export_handle_response(
    uint64_t corr, const char *from_ptr, size_t from_len, uint32_t disc, uint32_t a, uint32_t b, uint32_t c) {
  as_ensure_ctors();
  as_export_enter();
  as_response resp = {corr, {from_ptr, from_len}, disc == 0, {0, 0}, AS_REQUEST_TIMEOUT, {0, 0}};
  if (disc == 0) { /* ok(list<u8>) = (ptr, len) */
    resp.payload.ptr = (const uint8_t *)(uintptr_t)a;
    resp.payload.len = b;
  } else { /* err(request-error) = (case, str ptr, str len) */
    resp.error = (as_request_error_kind)a;
    if (a == AS_REQUEST_DENIED || a == AS_REQUEST_TARGET_NOT_FOUND || a == AS_REQUEST_TARGET_FAILED) {
      resp.error_text.ptr = (const char *)(uintptr_t)b;
      resp.error_text.len = c;
    }
  }
  as_handle_response(&resp);
  as_export_leave();
}

__attribute__((export_name(AS_LIFECYCLE "health"))) uint32_t as_export_health(void) {
  as_ensure_ctors();
  as_export_enter();
  uint32_t health = (uint32_t)as_health();
  as_export_leave();
  return health;
}

__attribute__((export_name(AS_LIFECYCLE "shutdown"))) void as_export_shutdown(void) {
  as_ensure_ctors();
  as_export_enter();
  as_shutdown();
  as_export_leave();
}

/* ------------------------------------------------------------------------------------------ */
/* imports: messaging                                                                         */

typedef struct as_raw_send_error { /* size 16 align 8 */
  uint8_t tag;
  union {
    struct {
      char *ptr;
      size_t len;
    } str;
    uint64_t u64;
  } v;
} as_raw_send_error;
_Static_assert(sizeof(as_raw_send_error) == 16, "send-error");
_Static_assert(__builtin_offsetof(as_raw_send_error, v) == 8, "send-error payload");

typedef struct as_raw_send_result { /* result<_ | u64, send-error>, size 24 align 8 */
  uint8_t is_err;
  union {
    uint64_t ok;
    as_raw_send_error err;
  } v;
} as_raw_send_result;
_Static_assert(sizeof(as_raw_send_result) == 24, "send result");
_Static_assert(__builtin_offsetof(as_raw_send_result, v) == 8, "send result payload");

void as_send_error_free(as_send_error *err) {
  if (err) as_string_free(&err->text);
}

/* Converts a raw send result; returns true on ok. Hands the error text to *err or frees it. */
static bool as_take_send_result(const as_raw_send_result *r, as_send_error *err) {
  if (!r->is_err) return true;
  as_send_error e = {(as_send_error_kind)r->v.err.tag, {0, 0}, 0};
  if (e.kind == AS_SEND_DENIED || e.kind == AS_SEND_TARGET_NOT_FOUND) {
    e.text.ptr = r->v.err.v.str.ptr;
    e.text.len = r->v.err.v.str.len;
  } else if (e.kind == AS_SEND_TOO_LARGE) {
    e.limit = r->v.err.v.u64;
  }
  if (err)
    *err = e;
  else
    as_send_error_free(&e);
  return false;
}

bool as_send(as_str to, as_bytes payload, const as_str *codec, as_send_error *err) {
  as_raw_send_result r;
  as_import_send(AS_PTR(to.ptr), to.len, AS_PTR(payload.ptr), payload.len, codec != 0,
                 codec ? AS_PTR(codec->ptr) : 0, codec ? codec->len : 0, AS_PTR(&r));
  return as_take_send_result(&r, err);
}

bool as_request(as_str to, as_bytes payload, uint32_t timeout_ms, uint64_t *id, as_send_error *err) {
  as_raw_send_result r;
  as_import_request(AS_PTR(to.ptr), to.len, AS_PTR(payload.ptr), payload.len, timeout_ms, AS_PTR(&r));
  if (!r.is_err && id) *id = r.v.ok;
  return as_take_send_result(&r, err);
}

bool as_cancel(uint64_t id) { return as_import_cancel(id) != 0; }

bool as_publish(as_str topic, as_bytes payload, as_send_error *err) {
  as_raw_send_result r;
  as_import_publish(AS_PTR(topic.ptr), topic.len, AS_PTR(payload.ptr), payload.len, AS_PTR(&r));
  return as_take_send_result(&r, err);
}

bool as_subscribe(as_str topic, as_send_error *err) {
  as_raw_send_result r;
  as_import_subscribe(AS_PTR(topic.ptr), topic.len, AS_PTR(&r));
  return as_take_send_result(&r, err);
}

void as_unsubscribe(as_str topic) { as_import_unsubscribe(AS_PTR(topic.ptr), topic.len); }

as_string as_self_address(void) {
  as_string s;
  as_import_self_address(AS_PTR(&s));
  return s;
}

/* ------------------------------------------------------------------------------------------ */
/* imports: services                                                                          */

void as_log(as_log_level level, as_str text) { as_import_log((uint32_t)level, AS_PTR(text.ptr), text.len); }
void as_log_cstr(as_log_level level, const char *text) { as_log(level, as_cstr(text)); }
uint64_t as_now_unix_ms(void) { return as_import_now_unix_ms(); }
uint64_t as_monotonic_ns(void) { return as_import_monotonic_ns(); }
uint64_t as_set_timer(uint32_t delay_ms, as_bytes payload) {
  return as_import_set_timer(delay_ms, AS_PTR(payload.ptr), payload.len);
}
bool as_cancel_timer(uint64_t id) { return as_import_cancel_timer(id) != 0; }
as_buf as_random_bytes(uint32_t len) {
  as_buf b;
  as_import_random_bytes(len, AS_PTR(&b));
  return b;
}

/* ------------------------------------------------------------------------------------------ */
/* imports: storage                                                                           */

typedef struct as_raw_storage_error { /* size 12 align 4 */
  uint8_t tag;
  char *ptr;
  size_t len;
} as_raw_storage_error;
_Static_assert(sizeof(as_raw_storage_error) == 12, "storage-error");

typedef struct as_raw_storage_result { /* result<T, storage-error> for get/set/delete/list-keys */
  uint8_t is_err;
  union {
    struct {
      uint8_t is_some;
      uint8_t *ptr;
      size_t len;
    } get;
    uint8_t existed;
    struct {
      as_string *ptr;
      size_t len;
    } keys;
    as_raw_storage_error err;
  } v;
} as_raw_storage_result;
_Static_assert(sizeof(as_raw_storage_result) == 16, "storage result");
_Static_assert(__builtin_offsetof(as_raw_storage_result, v) == 4, "storage result payload");

typedef struct as_raw_usage_result { /* size 32 align 8 */
  uint8_t is_err;
  union {
    as_usage ok;
    as_raw_storage_error err;
  } v;
} as_raw_usage_result;
_Static_assert(sizeof(as_raw_usage_result) == 32, "usage result");
_Static_assert(__builtin_offsetof(as_raw_usage_result, v) == 8, "usage result payload");

void as_storage_error_free(as_storage_error *err) {
  if (err) as_string_free(&err->text);
}

static bool as_take_storage_error(const as_raw_storage_error *raw, as_storage_error *err) {
  as_storage_error e = {(as_storage_error_kind)raw->tag, {0, 0}};
  if (e.kind != AS_STORAGE_QUOTA_EXCEEDED) {
    e.text.ptr = raw->ptr;
    e.text.len = raw->len;
  }
  if (err)
    *err = e;
  else
    as_storage_error_free(&e);
  return false;
}

bool as_storage_get(as_str key, bool *found, as_buf *value, as_storage_error *err) {
  as_raw_storage_result r;
  as_import_storage_get(AS_PTR(key.ptr), key.len, AS_PTR(&r));
  if (r.is_err) return as_take_storage_error(&r.v.err, err);
  *found = r.v.get.is_some;
  if (r.v.get.is_some) {
    value->ptr = r.v.get.ptr;
    value->len = r.v.get.len;
  }
  return true;
}

bool as_storage_set(as_str key, as_bytes value, as_storage_error *err) {
  as_raw_storage_result r;
  as_import_storage_set(AS_PTR(key.ptr), key.len, AS_PTR(value.ptr), value.len, AS_PTR(&r));
  return r.is_err ? as_take_storage_error(&r.v.err, err) : true;
}

bool as_storage_delete(as_str key, bool *existed, as_storage_error *err) {
  as_raw_storage_result r;
  as_import_storage_delete(AS_PTR(key.ptr), key.len, AS_PTR(&r));
  if (r.is_err) return as_take_storage_error(&r.v.err, err);
  if (existed) *existed = r.v.existed;
  return true;
}

bool as_storage_list_keys(as_str prefix, uint32_t limit, as_string_list *keys, as_storage_error *err) {
  as_raw_storage_result r;
  as_import_storage_list_keys(AS_PTR(prefix.ptr), prefix.len, limit, AS_PTR(&r));
  if (r.is_err) return as_take_storage_error(&r.v.err, err);
  keys->ptr = r.v.keys.ptr;
  keys->len = r.v.keys.len;
  return true;
}

bool as_storage_usage(as_usage *usage, as_storage_error *err) {
  as_raw_usage_result r;
  as_import_storage_usage(AS_PTR(&r));
  if (r.is_err) return as_take_storage_error(&r.v.err, err);
  *usage = r.v.ok;
  return true;
}
