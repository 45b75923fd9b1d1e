/* echo: answers every message with its own payload. The smallest useful component. */
#include <airssys/guest.h>

static uint64_t handled;

void as_init(const as_config *cfg, as_reply *reply) {
  (void)reply;
  as_log(AS_LOG_INFO, cfg->address);
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  ++handled;
  as_reply_bytes(reply, msg->payload.ptr, msg->payload.len);
}

as_health_status as_health(void) { return AS_HEALTHY; }

void as_shutdown(void) { as_log_cstr(AS_LOG_DEBUG, "echo: bye"); }
