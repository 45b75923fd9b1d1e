/* relay: a test component that exercises messaging from inside a guest and counts everything.
 *   "send <to> <codec|-> <n>"  send n bytes ('x') to <to>     -> "ok" | "err:<kind>:<text|limit>"
 *   "req <to> <timeout-ms>"    request "ping" from <to>       -> id  | "err:<kind>:<text|limit>"
 *   "burst <to> <n> <ms>"      n requests "ping" to <to>      -> number accepted
 *   "cancel <id>"              messaging.cancel               -> "1" | "0"
 *   "stats"                    -> "<requests>,<ok>,<err>,<received>,<dups>"
 *   "last"                     last response: payload or "error:<case>:<text>"
 *   anything else              counted as received            -> "got"
 * Responses are checked for duplicates with a set of correlation ids. */
#include <airssys/guest.h>

static uint64_t requests, ok, errs, received, dups;
static uint8_t last[128];
static size_t last_len;

/* open-addressing set of correlation ids seen in handle-response */
#define SEEN_CAP 65536
static uint64_t seen[SEEN_CAP];
static bool seen_insert(uint64_t id) {
  uint64_t h = (id * 0x9E3779B97F4A7C15ull) >> 48;
  for (size_t i = 0; i < SEEN_CAP; ++i) {
    size_t s = (h + i) & (SEEN_CAP - 1);
    if (seen[s] == id) return false;
    if (seen[s] == 0) {
      seen[s] = id;
      return true;
    }
  }
  return true; /* full: stop checking */
}

static as_str rest(as_str s, size_t from) { return (as_str){s.ptr + from, s.len - from}; }
static as_str word(as_str *s) {
  size_t i = 0;
  while (i < s->len && s->ptr[i] != ' ') ++i;
  as_str w = {s->ptr, i};
  *s = i < s->len ? rest(*s, i + 1) : (as_str){s->ptr + s->len, 0};
  return w;
}

typedef struct out {
  char buf[256];
  size_t n;
} out;
static void put(out *o, const char *p, size_t n) {
  for (size_t i = 0; i < n && o->n < sizeof o->buf; ++i) o->buf[o->n++] = p[i];
}
static size_t strlen_(const char *s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
static void put_c(out *o, const char *s) { put(o, s, strlen_(s)); }
static void put_u(out *o, uint64_t v) {
  char b[24];
  put(o, b, as_u64_to_dec(v, b));
}

static void reply_err(as_reply *reply, as_send_error *e) {
  out o = {{0}, 0};
  put_c(&o, "err:");
  put_u(&o, (uint64_t)e->kind);
  put_c(&o, ":");
  if (e->kind == AS_SEND_TOO_LARGE)
    put_u(&o, e->limit);
  else
    put(&o, e->text.ptr, e->text.len);
  as_send_error_free(e);
  as_reply_bytes(reply, o.buf, o.n);
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (msg->has_topic || !(as_str_starts_with(text, "send ") || as_str_starts_with(text, "req ") ||
                          as_str_starts_with(text, "burst ") || as_str_starts_with(text, "cancel ") ||
                          as_str_eq(text, "stats") || as_str_eq(text, "last"))) {
    ++received;
    as_reply_str(reply, AS_LIT("got"));
    return;
  }
  as_send_error err;
  if (as_str_starts_with(text, "send ")) {
    as_str a = rest(text, 5);
    as_str to = word(&a), codec = word(&a);
    uint64_t n = as_dec_to_u64(a);
    uint8_t *buf = (uint8_t *)as_malloc(n ? n : 1);
    memset(buf, 'x', n);
    bool none = codec.len == 1 && codec.ptr[0] == '-';
    bool sent = as_send(to, as_bytes_of(buf, n), none ? NULL : &codec, &err);
    as_free(buf);
    if (!sent) return reply_err(reply, &err);
    as_reply_str(reply, AS_LIT("ok"));
  } else if (as_str_starts_with(text, "req ")) {
    as_str a = rest(text, 4);
    as_str to = word(&a);
    uint64_t id = 0;
    if (!as_request(to, as_str_bytes(AS_LIT("ping")), (uint32_t)as_dec_to_u64(a), &id, &err))
      return reply_err(reply, &err);
    ++requests;
    out o = {{0}, 0};
    put_u(&o, id);
    as_reply_bytes(reply, o.buf, o.n);
  } else if (as_str_starts_with(text, "burst ")) {
    as_str a = rest(text, 6);
    as_str to = word(&a);
    as_str count = word(&a);
    uint64_t n = as_dec_to_u64(count), accepted = 0;
    uint32_t ms = (uint32_t)as_dec_to_u64(a);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t id;
      if (as_request(to, as_str_bytes(AS_LIT("ping")), ms, &id, NULL)) ++accepted;
    }
    requests += accepted;
    out o = {{0}, 0};
    put_u(&o, accepted);
    as_reply_bytes(reply, o.buf, o.n);
  } else if (as_str_starts_with(text, "cancel ")) {
    as_reply_str(reply, as_cancel(as_dec_to_u64(rest(text, 7))) ? AS_LIT("1") : AS_LIT("0"));
  } else if (as_str_eq(text, "stats")) {
    out o = {{0}, 0};
    put_u(&o, requests);
    put_c(&o, ",");
    put_u(&o, ok);
    put_c(&o, ",");
    put_u(&o, errs);
    put_c(&o, ",");
    put_u(&o, received);
    put_c(&o, ",");
    put_u(&o, dups);
    as_reply_bytes(reply, o.buf, o.n);
  } else if (as_str_eq(text, "last")) {
    if (last_len) as_reply_bytes(reply, last, last_len);
  }
}

void as_handle_response(const as_response *resp) {
  if (!seen_insert(resp->correlation)) ++dups;
  out o = {{0}, 0};
  if (resp->ok) {
    ++ok;
    put(&o, (const char *)resp->payload.ptr, resp->payload.len);
  } else {
    ++errs;
    put_c(&o, "error:");
    put_u(&o, (uint64_t)resp->error);
    put_c(&o, ":");
    put(&o, resp->error_text.ptr, resp->error_text.len);
  }
  memcpy(last, o.buf, o.n < sizeof last ? o.n : sizeof last);
  last_len = o.n < sizeof last ? o.n : sizeof last;
}
