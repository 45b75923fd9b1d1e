/* pinger: "go <to> <n>" makes n sequential requests "p" to <to>: the next one is sent from
 * handle-response of the previous. "left" answers how many are still to come (0 when done);
 * "errors" how many responses were errors. */
#include <airssys/guest.h>

static char target[128];
static size_t target_len;
static uint64_t left, errors;

static void next(void) {
  if (left == 0) return;
  uint64_t id;
  if (!as_request((as_str){target, target_len}, as_str_bytes(AS_LIT("p")), 5000, &id, NULL)) {
    ++errors;
    left = 0;
  }
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  char buf[24];
  if (as_str_starts_with(text, "go ")) {
    as_str a = {text.ptr + 3, text.len - 3};
    size_t sp = 0;
    while (sp < a.len && a.ptr[sp] != ' ') ++sp;
    target_len = sp < sizeof target ? sp : sizeof target;
    memcpy(target, a.ptr, target_len);
    left = sp < a.len ? as_dec_to_u64((as_str){a.ptr + sp + 1, a.len - sp - 1}) : 0;
    next();
  } else if (as_str_eq(text, "errors")) {
    as_reply_bytes(reply, buf, as_u64_to_dec(errors, buf));
    return;
  }
  as_reply_bytes(reply, buf, as_u64_to_dec(left, buf));
}

void as_handle_response(const as_response *resp) {
  if (!resp->ok) ++errors;
  if (left) --left;
  next();
}
