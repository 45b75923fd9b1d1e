/* trap: traps (wasm `unreachable`) on any message except "ok". Tests that a trap fails only the
 * call and the host lives on. */
#include <airssys/guest.h>

void as_handle_message(const as_message *msg, as_reply *reply) {
  if (msg->payload.len == 2 && msg->payload.ptr[0] == 'o' && msg->payload.ptr[1] == 'k') {
    as_reply_str(reply, AS_LIT("ok"));
    return;
  }
  __builtin_trap();
}
