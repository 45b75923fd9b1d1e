/* sick: healthy until it receives "sick", then lifecycle.health answers unhealthy. A fresh
 * instance (after a restart) is healthy again. Answers "ok" to everything. */
#include <airssys/guest.h>

static bool sick;

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (as_str_eq(text, "sick")) sick = true;
  as_reply_str(reply, sick ? AS_LIT("sick") : AS_LIT("ok"));
}

as_health_status as_health(void) { return sick ? AS_UNHEALTHY : AS_HEALTHY; }
