/*
 * weft-cni: the CNI plugin that joins a container to weft's network. A thin client: it hands the call
 * (the CNI_* variables and the network configuration on stdin) to the cell agent over a unix socket and
 * prints the answer. CNI 1.0.0 (ADD, DEL, CHECK, VERSION) and 1.1.0 (STATUS, GC).
 *
 * Compiled, not a script: a runtime runs it for every container it starts and stops, and a shell with
 * curl cost about 10 ms of CPU per call where this costs under one. Every input is copied, bounded and
 * percent-encoded; nothing is interpreted. The cell's answer is trusted as far as its root-only socket is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/weft/cni.sock"
/* More than the cell takes (64 KiB): it answers an oversized configuration with its own CNI error. */
#define MAX_CONFIG (1 << 20)
#define MAX_ANSWER (1 << 20)
#define MAX_REQUEST_HEAD 65536
#define DEADLINE_S 90

/* CNI error codes (spec 1.1, "Error"). */
#define CNI_INVALID_ENV 4
#define CNI_IO 5
#define CNI_INVALID_CONFIG 7
#define CNI_TRY_AGAIN 11
#define CNI_NOT_READY 50

static const char *command = "";

/* `msg` holds no quote or backslash: every caller passes fixed text or strerror's. */
static void fail(int code, const char *msg) {
  printf("{\"cniVersion\":\"1.0.0\",\"code\":%d,\"msg\":\"%s\"}\n", code, msg);
  fflush(stdout);
  fprintf(stderr, "weft-cni: %s\n", msg);
  exit(1);
}

static void on_deadline(int sig) {
  static const char out[] =
      "{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"the weft cell agent did not answer in time; try again later\"}\n";
  static const char err[] = "weft-cni: the weft cell agent did not answer in time\n";
  (void)sig;
  (void)!write(1, out, sizeof out - 1);
  (void)!write(2, err, sizeof err - 1);
  _exit(1);
}

struct buf {
  char *p;
  size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (n > b->cap - b->len) fail(CNI_INVALID_ENV, "the CNI_* variables are too long");
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* RFC 3986: everything but the unreserved characters is percent-encoded. */
static void put_query(struct buf *b, const char *name, const char *value) {
  static const char hex[] = "0123456789ABCDEF";
  put_str(b, name);
  put_str(b, "=");
  for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
        *c == '.' || *c == '_' || *c == '~') {
      put(b, (const char *)c, 1);
    } else {
      char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
      put(b, esc, 3);
    }
  }
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v == NULL ? "" : v;
}

/*
 * $WEFT_CNI_SOCKET, else the path named on the first line of the file beside this plugin
 * (`weft cni network --install --cni-socket`: a runtime's cleanup process may not carry our environment),
 * else the default.
 */
static void socket_path(const char *self, char *out, size_t size) {
  const char *set = env("WEFT_CNI_SOCKET");
  if (*set != '\0') {
    if (strlen(set) >= size) fail(CNI_INVALID_ENV, "WEFT_CNI_SOCKET is too long for a unix socket path");
    strcpy(out, set);
    return;
  }
  char beside[4096];
  FILE *f = NULL;
  if (snprintf(beside, sizeof beside, "%s.socket", self) < (int)sizeof beside) f = fopen(beside, "re");
  if (f != NULL) {
    char line[sizeof ((struct sockaddr_un *)0)->sun_path + 2];
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (got && line[0] != '\0' && strlen(line) < size) {
      strcpy(out, line);
      return;
    }
  }
  strcpy(out, DEFAULT_SOCKET);
}

static void read_all(int fd, struct buf *b, size_t max, int code, const char *too_long) {
  for (;;) {
    if (b->len == b->cap) {
      if (b->cap >= max) fail(code, too_long);
      b->cap = b->cap == 0 ? 8192 : b->cap * 2;
      if (b->cap > max) b->cap = max;
      b->p = realloc(b->p, b->cap);
      if (b->p == NULL) fail(CNI_IO, "out of memory");
    }
    ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(CNI_IO, strerror(errno));
    }
    b->len += (size_t)n;
  }
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void unreachable(void) {
  char msg[256];
  /* STATUS (CNI 1.1): no agent, no ADDs; the containers already wired keep their network. */
  int status = strcmp(command, "STATUS") == 0;
  snprintf(msg, sizeof msg, "the weft cell agent %s (%s)%s", status ? "is not running" : "is unreachable",
           strerror(errno), status ? "" : "; try again later");
  fail(status ? CNI_NOT_READY : CNI_TRY_AGAIN, msg);
}

int main(int argc, char **argv) {
  (void)argc;
  command = env("CNI_COMMAND");
  if (strcmp(command, "VERSION") == 0) {
    puts("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"1.0.0\",\"1.1.0\"]}");
    return 0;
  }
  static const char *const known[] = {"ADD", "DEL", "CHECK", "STATUS", "GC"};
  int ok = 0;
  for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok |= strcmp(command, known[i]) == 0;
  if (!ok) fail(CNI_INVALID_ENV, "CNI_COMMAND must be ADD, DEL, CHECK, STATUS, GC or VERSION");
  signal(SIGALRM, on_deadline);
  alarm(DEADLINE_S);

  struct buf config = {0};
  read_all(0, &config, MAX_CONFIG, CNI_INVALID_CONFIG, "the network configuration on stdin is over 1 MiB");

  static char head_space[MAX_REQUEST_HEAD];
  struct buf head = {head_space, 0, sizeof head_space};
  put_str(&head, "POST /cni?");
  put_query(&head, "command", command);
  put_str(&head, "&");
  put_query(&head, "containerid", env("CNI_CONTAINERID"));
  put_str(&head, "&");
  put_query(&head, "netns", env("CNI_NETNS"));
  put_str(&head, "&");
  put_query(&head, "ifname", env("CNI_IFNAME"));
  put_str(&head, "&");
  put_query(&head, "args", env("CNI_ARGS"));
  char length[96];
  snprintf(length, sizeof length,
           " HTTP/1.0\r\nHost: weft\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
           config.len);
  put_str(&head, length);

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  socket_path(argv[0], addr.sun_path, sizeof addr.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) unreachable();
  if (write_all(fd, head.p, head.len) < 0 || write_all(fd, config.p, config.len) < 0) unreachable();

  struct buf answer = {0};
  read_all(fd, &answer, MAX_ANSWER, CNI_IO, "the weft cell agent's answer is over 1 MiB");
  close(fd);
  answer.p = realloc(answer.p, answer.len + 1);
  if (answer.p == NULL) fail(CNI_IO, "out of memory");
  answer.p[answer.len] = '\0';

  /* "HTTP/1.x NNN ...": a 200 carries the result (empty for all but ADD), a 400 the CNI error. */
  int code = 0;
  char *body = strstr(answer.p, "\r\n\r\n");
  if (answer.len < 12 || strncmp(answer.p, "HTTP/1.", 7) != 0 || sscanf(answer.p + 8, " %3d", &code) != 1 ||
      body == NULL)
    fail(CNI_TRY_AGAIN, "the weft cell agent's answer could not be read; try again later");
  body += 4;
  size_t n = strlen(body);
  while (n > 0 && body[n - 1] == '\n') n--;
  if (code >= 200 && code < 300) {
    if (n > 0) printf("%.*s\n", (int)n, body);
    return 0;
  }
  printf("%.*s\n", (int)n, body);
  fprintf(stderr, "weft-cni: %.*s\n", (int)n, body);
  return 1;
}
