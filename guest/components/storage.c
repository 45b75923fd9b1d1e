/* storage: a key-value shell over the storage interface. Commands (payload text):
 *   "set <key> <value>" -> "ok" | error     "get <key>"  -> value | "(none)"
 *   "del <key>"  -> "deleted" | "absent"   "list <prefix>" -> keys joined by ','
 *   "usage"      -> "<bytes>,<keys>,<quota>"
 * Storage errors become err("<case>:<text>"). */
#include <airssys/guest.h>

static as_str rest(as_str s, size_t from) { return (as_str){s.ptr + from, s.len - from}; }

static void fail_storage(as_reply *reply, as_storage_error *err) {
  char buf[128];
  size_t n = 0;
  buf[n++] = (char)('0' + err->kind);
  buf[n++] = ':';
  for (size_t i = 0; i < err->text.len && n < sizeof buf; ++i) buf[n++] = err->text.ptr[i];
  as_fail_str(reply, (as_str){buf, n});
  as_storage_error_free(err);
}

/* A growable output buffer. */
typedef struct out {
  char *ptr;
  size_t len, cap;
} out;
static void out_put(out *o, const char *p, size_t n) {
  if (o->len + n > o->cap) {
    o->cap = (o->len + n) * 2 + 16;
    o->ptr = (char *)as_realloc(o->ptr, o->cap);
  }
  memcpy(o->ptr + o->len, p, n);
  o->len += n;
}
static void out_u64(out *o, uint64_t v) {
  char buf[24];
  out_put(o, buf, as_u64_to_dec(v, buf));
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  as_storage_error err;
  if (as_str_starts_with(text, "set ")) {
    as_str kv = rest(text, 4);
    size_t sp = 0;
    while (sp < kv.len && kv.ptr[sp] != ' ') ++sp;
    as_str key = {kv.ptr, sp};
    as_bytes value = as_bytes_of(kv.ptr + (sp < kv.len ? sp + 1 : sp), sp < kv.len ? kv.len - sp - 1 : 0);
    if (!as_storage_set(key, value, &err)) { fail_storage(reply, &err); return; }
    as_reply_str(reply, AS_LIT("ok"));
  } else if (as_str_starts_with(text, "get ")) {
    bool found = false;
    as_buf value;
    if (!as_storage_get(rest(text, 4), &found, &value, &err)) { fail_storage(reply, &err); return; }
    if (!found) {
      as_reply_str(reply, AS_LIT("(none)"));
      return;
    }
    as_reply_bytes(reply, value.ptr, value.len);
    as_buf_free(&value);
  } else if (as_str_starts_with(text, "del ")) {
    bool existed = false;
    if (!as_storage_delete(rest(text, 4), &existed, &err)) { fail_storage(reply, &err); return; }
    as_reply_str(reply, existed ? AS_LIT("deleted") : AS_LIT("absent"));
  } else if (as_str_starts_with(text, "list")) {
    as_string_list keys;
    as_str prefix = text.len > 5 ? rest(text, 5) : AS_LIT("");
    if (!as_storage_list_keys(prefix, 100, &keys, &err)) { fail_storage(reply, &err); return; }
    out o = {0, 0, 0};
    for (size_t i = 0; i < keys.len; ++i) {
      if (i) out_put(&o, ",", 1);
      out_put(&o, keys.ptr[i].ptr, keys.ptr[i].len);
    }
    as_reply_bytes(reply, o.ptr, o.len);
    as_free(o.ptr);
    as_string_list_free(&keys);
  } else if (as_str_eq(text, "usage")) {
    as_usage u;
    if (!as_storage_usage(&u, &err)) { fail_storage(reply, &err); return; }
    out o = {0, 0, 0};
    out_u64(&o, u.bytes);
    out_put(&o, ",", 1);
    out_u64(&o, u.keys);
    out_put(&o, ",", 1);
    out_u64(&o, u.quota_bytes);
    as_reply_bytes(reply, o.ptr, o.len);
    as_free(o.ptr);
  } else {
    as_fail(reply, "storage: unknown command");
  }
}
