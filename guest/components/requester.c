/* requester: on "go <target>" sends a request with payload "ping" to <target> (default
 * "test/echo") and answers the correlation id; as_handle_response remembers the outcome, which
 * "last" returns: the payload, or "error:<case>:<text>". */
#include <airssys/guest.h>

static uint8_t *last;
static size_t last_len;
static uint64_t responses;

static void remember(const void *data, size_t len) {
  as_free(last);
  last = (uint8_t *)as_malloc(len ? len : 1);
  memcpy(last, data, len);
  last_len = len;
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (as_str_eq(text, "last")) {
    if (!last) return; /* ok(none): no response yet */
    as_reply_bytes(reply, last, last_len);
    return;
  }
  if (as_str_starts_with(text, "go")) {
    as_str target = text.len > 3 ? (as_str){text.ptr + 3, text.len - 3} : AS_LIT("test/echo");
    uint64_t id = 0;
    as_send_error err;
    if (!as_request(target, as_str_bytes(AS_LIT("ping")), 500, &id, &err)) {
      as_fail_str(reply, err.kind == AS_SEND_TARGET_NOT_FOUND ? AS_LIT("request: target-not-found")
                                                               : AS_LIT("request: failed"));
      as_send_error_free(&err);
      return;
    }
    char buf[24];
    size_t n = as_u64_to_dec(id, buf);
    as_reply_bytes(reply, buf, n);
    return;
  }
  if (as_str_starts_with(text, "cancel ")) {
    bool was = as_cancel(as_dec_to_u64((as_str){text.ptr + 7, text.len - 7}));
    as_reply_str(reply, was ? AS_LIT("cancelled") : AS_LIT("not pending"));
    return;
  }
  as_fail(reply, "requester: unknown command");
}

void as_handle_response(const as_response *resp) {
  ++responses;
  if (resp->ok) {
    remember(resp->payload.ptr, resp->payload.len);
    return;
  }
  char buf[256];
  size_t n = 0;
  const char *prefix = "error:";
  while (prefix[n]) buf[n] = prefix[n], ++n;
  buf[n++] = (char)('0' + resp->error);
  buf[n++] = ':';
  for (size_t i = 0; i < resp->error_text.len && n < sizeof buf; ++i) buf[n++] = resp->error_text.ptr[i];
  remember(buf, n);
}
