/* badptr: hands garbage to the host's imports; the payload names the abuse. Every one must be
 * refused with a typed error (bad_pointer, bad_alignment, bad_utf8, bad_discriminant), never
 * crash the host. Uses the raw imports of guest.h. */
#include <airssys/guest.h>

static _Alignas(8) uint8_t area[32];

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str cmd = {(const char *)msg->payload.ptr, msg->payload.len};
  const uint32_t far = 0xFFFFFFF0u; /* beyond any linear memory */
  if (as_str_eq(cmd, "send-oob")) { /* `to` points past memory */
    as_import_send(far, 64, 0, 0, 0, 0, 0, AS_PTR(area));
  } else if (as_str_eq(cmd, "send-overflow")) { /* ptr + len wraps around 2^32 */
    as_import_send(AS_PTR(area), 0xFFFFFFFFu, 0, 0, 0, 0, 0, AS_PTR(area));
  } else if (as_str_eq(cmd, "payload-oob")) {
    as_import_publish(AS_PTR("t"), 1, AS_PTR(area), 0x7FFFFFFFu, AS_PTR(area));
  } else if (as_str_eq(cmd, "retptr-oob")) {
    as_import_self_address(far);
  } else if (as_str_eq(cmd, "retptr-misaligned")) { /* send's result needs 8-byte alignment */
    as_import_send(AS_PTR("a/b"), 3, 0, 0, 0, 0, 0, AS_PTR(area) + 3);
  } else if (as_str_eq(cmd, "log-utf8")) {
    static const uint8_t bad[] = {'o', 'k', 0xC0, 0xAF}; /* overlong encoding of '/' */
    as_import_log(AS_LOG_INFO, AS_PTR(bad), sizeof bad);
  } else if (as_str_eq(cmd, "log-level")) {
    as_import_log(9, AS_PTR("x"), 1);
  } else if (as_str_eq(cmd, "codec-disc")) {
    as_import_send(AS_PTR("a/b"), 3, 0, 0, 7, 0, 0, AS_PTR(area));
  } else if (as_str_eq(cmd, "storage-key-oob")) {
    as_import_storage_get(far, 8, AS_PTR(area));
  } else {
    as_fail(reply, "badptr: unknown abuse");
    return;
  }
  as_reply_str(reply, AS_LIT("survived")); /* reached only if the host let it pass */
}
