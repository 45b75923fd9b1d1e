/* slow: busy-waits the number of milliseconds in the payload (decimal) using monotonic-ns,
 * then answers "done". A deadline shorter than that stops it with deadline_exceeded. */
#include <airssys/guest.h>

void as_handle_message(const as_message *msg, as_reply *reply) {
  uint64_t ms = as_dec_to_u64((as_str){(const char *)msg->payload.ptr, msg->payload.len});
  uint64_t until = as_monotonic_ns() + ms * 1000000u;
  while (as_monotonic_ns() < until) {
  }
  as_reply_str(reply, AS_LIT("done"));
}
