/* demo/validator: answers requests. A request "<seq> <value>" is answered
 * "accept <seq> <value>" when 0 <= value <= `max` (setting, default 99), else
 * "reject <seq> <value> above <max>". The answer is what as_handle_message replies: the host
 * routes it back to the requester by the request's correlation id.
 *
 * Grants it needs: none (it only answers). */
#include <airssys/guest.h>

#include "demo_text.h"

static uint64_t max = 99;
static uint64_t answered, accepted, rejected;

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  as_str v;
  if (as_config_get(cfg, "max", &v)) max = as_dec_to_u64(v);
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str rest;
  as_str seq = next_word((as_str){(const char *)msg->payload.ptr, msg->payload.len}, &rest);
  if (seq.len == 0 || rest.len == 0) {
    as_fail(reply, "validator: expected \"<seq> <value>\"");
    return;
  }
  uint64_t value = as_dec_to_u64(rest);
  ++answered;
  text t = {0};
  t_str(&t, value <= max ? "accept " : "reject ");
  t_as(&t, seq);
  t_str(&t, " ");
  t_u64(&t, value);
  if (value <= max) {
    ++accepted;
  } else {
    ++rejected;
    t_str(&t, " above ");
    t_u64(&t, max);
  }
  as_reply_str(reply, t_view(&t));
}

void as_shutdown(void) {
  text t = {0};
  t_str(&t, "report: answered ");
  t_u64(&t, answered);
  t_str(&t, " requests: ");
  t_u64(&t, accepted);
  t_str(&t, " accepted, ");
  t_u64(&t, rejected);
  t_str(&t, " rejected (value above ");
  t_u64(&t, max);
  t_str(&t, ")");
  t_log(AS_LOG_INFO, &t);
}
