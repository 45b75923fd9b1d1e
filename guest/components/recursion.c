/* recursion: recurses without bound on any message. Locals stay in wasm locals (no address
 * taken), so it exhausts the engine's call stack, not the shadow stack in linear memory. */
#include <airssys/guest.h>

static uint32_t deepest;

/* `r * 2 - n` is not a single associative op: LLVM cannot turn this into a loop. */
__attribute__((noinline)) static uint32_t dive(uint32_t n) {
  deepest = n;
  if (n == 0xFFFFFFFFu) return 0;
  return dive(n + 1) * 2 - n;
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  uint32_t r = dive(msg->payload.len);
  as_reply_bytes(reply, &r, sizeof r);
}
