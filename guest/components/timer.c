/* timer: uses the services interface.
 *   "start <ms>"   set-timer(ms, "tick")       -> timer id (decimal)
 *   "cancel <id>"  cancel-timer(id)            -> "cancelled" | "not pending"
 *   codec "airssys/timer" (a fired timer)      -> "fired:<payload>", counted
 *   "fired"        number of timers fired so far
 *   "now" / "mono" now-unix-ms / monotonic-ns  -> decimal
 *   "rand <n>"     random-bytes(n)             -> the bytes
 *   "self"         self-address                -> the address
 *   "log <text>"   log(warn, text)             -> ok(none) */
#include <airssys/guest.h>

static uint64_t fired;

static void reply_u64(as_reply *reply, uint64_t v) {
  char buf[24];
  as_reply_bytes(reply, buf, as_u64_to_dec(v, buf));
}

static as_str rest(as_str s, size_t from) { return (as_str){s.ptr + from, s.len - from}; }

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (msg->has_codec && as_str_eq(msg->codec, "airssys/timer")) {
    ++fired;
    char buf[64] = "fired:";
    size_t n = 6;
    for (size_t i = 0; i < text.len && n < sizeof buf; ++i) buf[n++] = text.ptr[i];
    as_reply_bytes(reply, buf, n);
  } else if (as_str_starts_with(text, "start ")) {
    reply_u64(reply, as_set_timer((uint32_t)as_dec_to_u64(rest(text, 6)), as_str_bytes(AS_LIT("tick"))));
  } else if (as_str_starts_with(text, "cancel ")) {
    as_reply_str(reply, as_cancel_timer(as_dec_to_u64(rest(text, 7))) ? AS_LIT("cancelled") : AS_LIT("not pending"));
  } else if (as_str_eq(text, "fired")) {
    reply_u64(reply, fired);
  } else if (as_str_eq(text, "now")) {
    reply_u64(reply, as_now_unix_ms());
  } else if (as_str_eq(text, "mono")) {
    reply_u64(reply, as_monotonic_ns());
  } else if (as_str_starts_with(text, "rand ")) {
    as_buf b = as_random_bytes((uint32_t)as_dec_to_u64(rest(text, 5)));
    as_reply_bytes(reply, b.ptr, b.len);
    as_buf_free(&b);
  } else if (as_str_eq(text, "self")) {
    as_string self = as_self_address();
    as_reply_bytes(reply, self.ptr, self.len);
    as_string_free(&self);
  } else if (as_str_starts_with(text, "log ")) {
    as_log(AS_LOG_WARN, rest(text, 4));
  } else {
    as_fail(reply, "timer: unknown command");
  }
}
