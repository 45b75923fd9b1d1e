/* counter: keeps state across messages. Each message adds 1 (or the decimal number in the
 * payload after "add "); "get" reads without changing. Answers the count in decimal. */
#include <airssys/guest.h>

static uint64_t count;

void as_init(const as_config *cfg, as_reply *reply) {
  as_str start;
  if (as_config_get(cfg, "start", &start)) count = as_dec_to_u64(start);
  if (cfg->has_data && cfg->data.len > 0 && cfg->data.ptr[0] == 'x') as_fail(reply, "counter: refused data");
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (as_str_starts_with(text, "add ")) {
    as_str n = {text.ptr + 4, text.len - 4};
    count += as_dec_to_u64(n);
  } else if (!as_str_eq(text, "get")) {
    ++count;
  }
  char buf[24];
  size_t n = as_u64_to_dec(count, buf);
  as_reply_bytes(reply, buf, n);
}

as_health_status as_health(void) { return count >= 1000000 ? AS_DEGRADED : AS_HEALTHY; }
