/* subscriber: subscribes at init to every topic listed in setting "topics" (comma separated),
 * counts messages that arrive through a topic and answers "<topic>:<payload>" for them;
 * "count" answers the count; "leave <topic>" unsubscribes. Unsubscribes all at shutdown. */
#include <airssys/guest.h>

static uint64_t received;
static char topics[256];
static size_t topics_len;

static void for_each_topic(void (*fn)(as_str)) {
  size_t start = 0;
  for (size_t i = 0; i <= topics_len; ++i) {
    if (i == topics_len || topics[i] == ',') {
      if (i > start) fn((as_str){topics + start, i - start});
      start = i + 1;
    }
  }
}

static bool subscribe_failed;
static void subscribe_one(as_str t) {
  if (!as_subscribe(t, 0)) subscribe_failed = true;
}

void as_init(const as_config *cfg, as_reply *reply) {
  as_str t;
  if (!as_config_get(cfg, "topics", &t) || t.len > sizeof topics) {
    as_fail(reply, "subscriber: setting 'topics' missing or too long");
    return;
  }
  memcpy(topics, t.ptr, t.len);
  topics_len = t.len;
  for_each_topic(subscribe_one);
  if (subscribe_failed) as_fail(reply, "subscriber: subscribe refused");
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  as_str text = {(const char *)msg->payload.ptr, msg->payload.len};
  if (msg->has_topic) {
    ++received;
    size_t n = msg->topic.len + 1 + msg->payload.len;
    char *out = (char *)as_malloc(n);
    memcpy(out, msg->topic.ptr, msg->topic.len);
    out[msg->topic.len] = ':';
    memcpy(out + msg->topic.len + 1, msg->payload.ptr, msg->payload.len);
    as_reply_bytes(reply, out, n);
    as_free(out);
  } else if (as_str_eq(text, "count")) {
    char buf[24];
    as_reply_bytes(reply, buf, as_u64_to_dec(received, buf));
  } else if (as_str_starts_with(text, "leave ")) {
    as_unsubscribe((as_str){text.ptr + 6, text.len - 6});
  }
}

static void unsubscribe_one(as_str t) { as_unsubscribe(t); }
void as_shutdown(void) { for_each_topic(unsubscribe_one); }
