/* membomb: grows linear memory 1 MiB at a time until the host refuses (memory.grow returns -1,
 * or the engine stops the call with memory_limit). If it is refused, it answers
 * err("refused after <n> MiB"). "alloc" does the same through as_malloc, touching every page. */
#include <airssys/guest.h>

static void refused(as_reply *reply, uint64_t mib) {
  char buf[48] = "refused after ";
  size_t n = 14;
  n += as_u64_to_dec(mib, buf + n);
  memcpy(buf + n, " MiB", 4);
  as_fail_str(reply, (as_str){buf, n + 4});
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  uint64_t mib = 0;
  if (msg->payload.len == 5 && memcmp(msg->payload.ptr, "alloc", 5) == 0) {
    for (;;) {
      uint8_t *p = (uint8_t *)as_malloc(1 << 20);
      if (!p) break;
      for (size_t i = 0; i < (1u << 20); i += 4096) p[i] = 1;
      ++mib;
    }
  } else {
    while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1) ++mib;
  }
  refused(reply, mib);
}
