/* A component written the ordinary way: plain C on wasi-libc (printf, malloc, getenv, time,
 * getentropy, fopen/fprintf/fread), built as a reactor with `clang --target=wasm32-wasi
 * -mexec-model=reactor`. The guest SDK header only provides the airssys exports.
 *
 * Messages (the answer is the reply payload; "err:<errno>" carries the WASI errno):
 *   hello                 printf a greeting from the setting GREETING (via getenv); "ok"
 *   env:<NAME>            the value of getenv(NAME), or "(unset)"
 *   args                  argc and argv, through the raw WASI calls (a reactor has no main)
 *   time                  time(NULL) and CLOCK_MONOTONIC in ns, "<unix s> <mono ns>"
 *   entropy               16 bytes of getentropy, in hex
 *   write:<file>:<text>   fopen(file, "w") + fprintf + fclose; "ok" or "err:<errno>"
 *   append:<file>:<text>  the same with "a"
 *   read:<file>           fopen(file, "r") + fread; the contents or "err:<errno>"
 *   raw-open:<path>       __wasi_path_open on the preopen (fd 3) for reading; "0" or the errno
 *   raw-create:<path>     the same, creating for writing
 *   unsupported           a WASI call the host does not provide (fd_renumber); its errno
 *   sleep                 usleep(200 ms); the ns it took (the host answers clock waits at once)
 *   stderr                one line to stderr; "ok"
 *   flood:<n>             printf n lines; "ok"
 *   spin:<n>              format n lines like flood into a buffer without printing; "ok"
 *   partial               printf without a newline; "ok"
 *   exit:<n>              exit(n)
 *   malloc:<n>            malloc + memset + free n bytes; "ok" or "err:nomem"
 */
#include <airssys/guest.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static char *greeting;  /* from init */
static int ctor_runs;   /* counts constructor runs: _initialize must run exactly once */

__attribute__((constructor)) static void count_ctor(void) { ++ctor_runs; }

static void reply_text(as_reply *reply, const char *text) { as_reply_bytes(reply, text, strlen(text)); }

static void reply_errno(as_reply *reply, int e) {
  char buf[32];
  snprintf(buf, sizeof buf, "err:%d", e);
  reply_text(reply, buf);
}

/* The message payload as a NUL-terminated string (owned by the caller). */
static char *payload_cstr(const as_message *msg) {
  char *s = malloc(msg->payload.len + 1);
  if (!s) return NULL;
  memcpy(s, msg->payload.ptr, msg->payload.len);
  s[msg->payload.len] = 0;
  return s;
}

void as_init(const as_config *cfg, as_reply *reply) {
  (void)cfg;
  if (ctor_runs != 1) {
    as_fail(reply, "constructors did not run exactly once before init");
    return;
  }
  const char *g = getenv("GREETING");
  greeting = strdup(g ? g : "hello");
  printf("init: greeting is '%s'\n", greeting);
  if (getenv("FAIL_INIT")) as_fail(reply, "FAIL_INIT is set");
}

static void do_write(const char *spec, const char *mode, as_reply *reply) {
  char name[256];
  const char *colon = strchr(spec, ':');
  if (!colon || (size_t)(colon - spec) >= sizeof name) {
    reply_text(reply, "err:usage");
    return;
  }
  memcpy(name, spec, (size_t)(colon - spec));
  name[colon - spec] = 0;
  FILE *f = fopen(name, mode);
  if (!f) {
    reply_errno(reply, errno);
    return;
  }
  int n = fprintf(f, "%s", colon + 1);
  int e = errno;
  int c = fclose(f);
  if (n < 0 || c != 0) {
    reply_errno(reply, n < 0 ? e : errno);
    return;
  }
  reply_text(reply, "ok");
}

static void do_read(const char *name, as_reply *reply) {
  FILE *f = fopen(name, "r");
  if (!f) {
    reply_errno(reply, errno);
    return;
  }
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    reply_text(reply, "err:read");
    return;
  }
  as_reply_bytes(reply, buf, n);
}

static void do_raw_open(const char *path, int create, as_reply *reply) {
  __wasi_fd_t fd = 0;
  __wasi_rights_t rights = create ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ;
  __wasi_errno_t e = __wasi_path_open(3, 0, path, create ? __WASI_OFLAGS_CREAT : 0, rights, 0, 0, &fd);
  if (e == 0) (void)__wasi_fd_close(fd);
  char buf[16];
  snprintf(buf, sizeof buf, "%u", (unsigned)e);
  reply_text(reply, buf);
}

static void do_args(as_reply *reply) {
  __wasi_size_t argc = 0, size = 0;
  if (__wasi_args_sizes_get(&argc, &size) != 0) {
    reply_text(reply, "err:args");
    return;
  }
  char **argv = calloc(argc + 1, sizeof(char *));
  char *buf = malloc(size + 1);
  if (!argv || !buf || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
    reply_text(reply, "err:args");
    return;
  }
  char out[1024];
  int len = snprintf(out, sizeof out, "%u", (unsigned)argc);
  for (__wasi_size_t i = 0; i < argc && len < (int)sizeof out; ++i)
    len += snprintf(out + len, sizeof out - (size_t)len, " %s", argv[i]);
  free(argv);
  free(buf);
  reply_text(reply, out);
}

void as_handle_message(const as_message *msg, as_reply *reply) {
  char *m = payload_cstr(msg);
  if (!m) {
    as_fail(reply, "out of memory");
    return;
  }
  char buf[256];
  if (!strcmp(m, "hello")) {
    printf("%s from plain C\n", greeting);
    reply_text(reply, "ok");
  } else if (!strncmp(m, "env:", 4)) {
    const char *v = getenv(m + 4);
    reply_text(reply, v ? v : "(unset)");
  } else if (!strcmp(m, "args")) {
    do_args(reply);
  } else if (!strcmp(m, "time")) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(buf, sizeof buf, "%lld %lld", (long long)time(NULL),
             (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    reply_text(reply, buf);
  } else if (!strcmp(m, "entropy")) {
    unsigned char r[16];
    if (getentropy(r, sizeof r) != 0) {
      reply_errno(reply, errno);
    } else {
      for (int i = 0; i < 16; ++i) snprintf(buf + 2 * i, 3, "%02x", r[i]);
      reply_text(reply, buf);
    }
  } else if (!strncmp(m, "write:", 6)) {
    do_write(m + 6, "w", reply);
  } else if (!strncmp(m, "append:", 7)) {
    do_write(m + 7, "a", reply);
  } else if (!strncmp(m, "read:", 5)) {
    do_read(m + 5, reply);
  } else if (!strncmp(m, "raw-open:", 9)) {
    do_raw_open(m + 9, 0, reply);
  } else if (!strncmp(m, "raw-create:", 11)) {
    do_raw_open(m + 11, 1, reply);
  } else if (!strcmp(m, "unsupported")) {
    snprintf(buf, sizeof buf, "%u", (unsigned)__wasi_fd_renumber(1, 7));
    reply_text(reply, buf);
  } else if (!strcmp(m, "sleep")) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(200000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    snprintf(buf, sizeof buf, "%lld", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
    reply_text(reply, buf);
  } else if (!strcmp(m, "stderr")) {
    fprintf(stderr, "to stderr\n");
    reply_text(reply, "ok");
  } else if (!strncmp(m, "flood:", 6)) {
    long n = atol(m + 6);
    for (long i = 0; i < n; ++i) printf("flood line %ld of %ld\n", i, n);
    reply_text(reply, "ok");
  } else if (!strncmp(m, "spin:", 5)) {
    long n = atol(m + 5);
    volatile size_t sink = 0;
    for (long i = 0; i < n; ++i) sink += (size_t)snprintf(buf, sizeof buf, "flood line %ld of %ld\n", i, n);
    (void)sink;
    reply_text(reply, "ok");
  } else if (!strcmp(m, "partial")) {
    printf("no newline yet");
    fflush(stdout);
    reply_text(reply, "ok");
  } else if (!strncmp(m, "exit:", 5)) {
    exit(atoi(m + 5));
  } else if (!strncmp(m, "malloc:", 7)) {
    size_t n = (size_t)atol(m + 7);
    char *p = malloc(n);
    if (!p) {
      reply_text(reply, "err:nomem");
    } else {
      memset(p, 7, n);
      free(p);
      reply_text(reply, "ok");
    }
  } else {
    snprintf(buf, sizeof buf, "unknown message '%.100s'", m);
    as_fail(reply, buf);
  }
  free(m);
}
