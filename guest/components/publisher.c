/* publisher: publishes every message's payload on the topic named by setting "topic"
 * (default "news") and answers "published" or the error. */
#include <airssys/guest.h>

static char topic[64] = "news";
static size_t topic_len = 4;

void as_init(const as_config *cfg, as_reply *reply) {
  as_str t;
  if (!as_config_get(cfg, "topic", &t)) return;
  if (t.len == 0 || t.len > sizeof topic) {
    as_fail(reply, "publisher: bad topic");
    return;
  }
  memcpy(topic, t.ptr, t.len);
  topic_len = t.len;
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_send_error err;
  if (as_publish((as_str){topic, topic_len}, msg->payload, &err)) {
    as_reply_str(reply, AS_LIT("published"));
    return;
  }
  if (err.kind == AS_SEND_DENIED && err.text.len) {
    as_fail_str(reply, (as_str){err.text.ptr, err.text.len});
  } else {
    as_fail(reply, "publish failed");
  }
  as_send_error_free(&err);
}
