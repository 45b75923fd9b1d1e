/* blaster: "blast <to> <n>" sends n messages of 16 bytes to <to> (benchmarks, load tests);
 * answers the number sent. Anything else: counted, answered with the count. */
#include <airssys/guest.h>

static uint64_t got;

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  char buf[24];
  if (!as_str_starts_with(text, "blast ")) {
    ++got;
    as_reply_bytes(reply, buf, as_u64_to_dec(got, buf));
    return;
  }
  as_str a = {text.ptr + 6, text.len - 6};
  size_t sp = 0;
  while (sp < a.len && a.ptr[sp] != ' ') ++sp;
  as_str to = {a.ptr, sp};
  uint64_t n = sp < a.len ? as_dec_to_u64((as_str){a.ptr + sp + 1, a.len - sp - 1}) : 0, sent = 0;
  static const char payload[16] = "0123456789abcde";
  for (uint64_t i = 0; i < n; ++i)
    if (as_send(to, as_bytes_of(payload, 16), NULL, NULL)) ++sent;
  as_reply_bytes(reply, buf, as_u64_to_dec(sent, buf));
}
