/*
 * weft-spawner: starts the commands of a weft daemon for it (spawner.ts is weft's end). A fork from the
 * daemon itself stalls its event loop while the kernel copies its page tables, and a helper written in
 * Node cost about a millisecond of CPU per command; this one starts each with posix_spawn (a vfork).
 *
 * Requests come on stdin and answers go to stdout, each a frame: a little-endian u32 length of what
 * follows, then
 *   request: u32 id, u32 argc, argc NUL-terminated strings, a NUL-terminated output file ("": collect
 *            stdout and stderr), then the command's input (the rest of the frame);
 *   answer:  u32 id, i32 kind (0 exited, 1 killed by a signal, 2 not started), i32 value (the exit
 *            status, the signal or errno), u32 length of stdout, stdout, then stderr (the rest).
 * A command runs in a session of its own with every signal at its default; its answer goes once it has
 * exited and closed its output, as Node's 'close' event. The spawner exits when its stdin ends (weft is
 * gone); the commands it started carry on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Inputs and outputs of weft's commands (nft scripts and listings) stay far below this. */
#define MAX_FRAME (512u << 20)
#define MAX_JOBS 1024

extern char **environ;

struct buf {
  char *p;
  size_t len, cap;
};

struct job {
  uint32_t id;
  pid_t pid;
  int pidfd, in, out, err;
  const char *input;
  size_t input_len, input_off;
  char *frame; /* the request, which `input` points into */
  struct buf stdout_buf, stderr_buf;
  int exited, kind, value;
};

static struct job *jobs[MAX_JOBS];
static size_t njobs;

static void die(const char *msg) {
  (void)!write(2, "weft-spawner: ", 14);
  (void)!write(2, msg, strlen(msg));
  (void)!write(2, "\n", 1);
  exit(2);
}

static void grow(struct buf *b, size_t more) {
  if (more <= b->cap - b->len) return;
  if (b->len + more > MAX_FRAME) die("a frame is too large");
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) die("out of memory");
  b->p = p;
  b->cap = cap;
}

static void put(struct buf *b, const void *data, size_t n) {
  grow(b, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void put_u32(struct buf *b, uint32_t v) {
  unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  put(b, le, 4);
}

static uint32_t get_u32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* Blocking: weft reads its answers as they come; commands wait meanwhile, which they survive. */
static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) exit(0); /* weft is gone */
    p += w;
    n -= (size_t)w;
  }
}

static void answer(uint32_t id, int kind, int value, const struct buf *out, const struct buf *err) {
  struct buf a = {0};
  size_t out_len = out ? out->len : 0, err_len = err ? err->len : 0;
  put_u32(&a, (uint32_t)(16 + out_len + err_len));
  put_u32(&a, id);
  put_u32(&a, (uint32_t)kind);
  put_u32(&a, (uint32_t)value);
  put_u32(&a, (uint32_t)out_len);
  if (out_len) put(&a, out->p, out_len);
  if (err_len) put(&a, err->p, err_len);
  write_all(1, a.p, a.len);
  free(a.p);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Parses one request and starts its command; a request that does not parse ends the spawner. */
static void start(char *frame, size_t len) {
  if (len < 8) die("a request is too short");
  uint32_t id = get_u32(frame), argc = get_u32(frame + 4);
  if (argc == 0 || argc > 65536) die("a request has no or too many arguments");
  char **argv = calloc(argc + 1, sizeof *argv);
  if (!argv) die("out of memory");
  /* The arguments, then the output file. */
  const char *output = "";
  size_t at = 8;
  for (uint32_t i = 0; i <= argc; i++) {
    char *end = at < len ? memchr(frame + at, '\0', len - at) : NULL;
    if (!end) die("a request's strings are not terminated");
    if (i < argc) argv[i] = frame + at;
    else output = frame + at;
    at = (size_t)(end - frame) + 1;
  }

  if (njobs == MAX_JOBS) {
    answer(id, 2, EAGAIN, NULL, NULL);
    free(argv);
    free(frame);
    return;
  }
  struct job *j = calloc(1, sizeof *j);
  if (!j) die("out of memory");
  j->id = id;
  j->frame = frame;
  j->input = frame + at;
  j->input_len = len - at;
  j->pidfd = j->in = j->out = j->err = -1;

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, file = -1, failed = 0;
  if (pipe2(in, O_CLOEXEC) < 0) failed = errno;
  if (!failed && *output) {
    file = open(output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (file < 0) failed = errno;
  } else if (!failed && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) {
    failed = errno;
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  if (!failed) {
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, file >= 0 ? file : out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, file >= 0 ? file : err[1], 2);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    failed = posix_spawnp(&j->pid, argv[0], &actions, &attr, argv, environ);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free(argv);
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&err[1]);
  close_fd(&file);
  if (!failed) {
    j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
    if (j->pidfd < 0) failed = errno;
  }
  if (failed) {
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    /* Started, but not to be watched: it is stopped and reaped rather than left unanswered. */
    if (j->pid > 0) {
      kill(j->pid, SIGKILL);
      waitpid(j->pid, NULL, 0);
    }
    answer(id, 2, failed, NULL, NULL);
    free(frame);
    free(j);
    return;
  }
  j->in = in[1];
  j->out = out[0];
  j->err = err[0];
  fcntl(j->in, F_SETFL, O_NONBLOCK);
  if (j->input_len == 0) close_fd(&j->in);
  jobs[njobs++] = j;
}

static void read_output(int *fd, struct buf *b) {
  grow(b, 65536);
  ssize_t n = read(*fd, b->p + b->len, b->cap - b->len);
  if (n > 0) b->len += (size_t)n;
  else if (n == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(fd);
}

static void feed_input(struct job *j) {
  ssize_t n = write(j->in, j->input + j->input_off, j->input_len - j->input_off);
  if (n > 0) j->input_off += (size_t)n;
  /* A command that exits without reading all of its input: its status says what happened. */
  if (j->input_off == j->input_len || (n < 0 && errno != EINTR && errno != EAGAIN)) close_fd(&j->in);
}

static void reap(struct job *j) {
  int status;
  pid_t r = waitpid(j->pid, &status, WNOHANG);
  if (r != j->pid) return;
  j->exited = 1;
  close_fd(&j->pidfd);
  if (WIFSIGNALED(status)) {
    j->kind = 1;
    j->value = WTERMSIG(status);
  } else {
    j->value = WEXITSTATUS(status);
  }
}

int main(void) {
  /* A stop of weft's process group must not end the spawner while weft cleans up. */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct buf requests = {0};
  int stdin_open = 1;
  static struct pollfd fds[1 + 4 * MAX_JOBS];
  static struct job *owner[1 + 4 * MAX_JOBS];
  for (;;) {
    size_t n = 0;
    if (stdin_open) fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    for (size_t i = 0; i < njobs; i++) {
      struct job *j = jobs[i];
      if (j->in >= 0) owner[n] = j, fds[n++] = (struct pollfd){.fd = j->in, .events = POLLOUT};
      if (j->out >= 0) owner[n] = j, fds[n++] = (struct pollfd){.fd = j->out, .events = POLLIN};
      if (j->err >= 0) owner[n] = j, fds[n++] = (struct pollfd){.fd = j->err, .events = POLLIN};
      if (j->pidfd >= 0) owner[n] = j, fds[n++] = (struct pollfd){.fd = j->pidfd, .events = POLLIN};
    }
    if (!stdin_open) exit(0);
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll failed");
    }
    for (size_t k = 0; k < n; k++) {
      if (!fds[k].revents) continue;
      if (fds[k].fd == 0 && stdin_open) {
        grow(&requests, 65536);
        ssize_t r = read(0, requests.p + requests.len, requests.cap - requests.len);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) stdin_open = 0;
        if (r > 0) requests.len += (size_t)r;
        continue;
      }
      struct job *j = owner[k];
      if (fds[k].fd == j->in) feed_input(j);
      else if (fds[k].fd == j->out) read_output(&j->out, &j->stdout_buf);
      else if (fds[k].fd == j->err) read_output(&j->err, &j->stderr_buf);
      else if (fds[k].fd == j->pidfd) reap(j);
    }
    /* Finished jobs answer; the rest keep their places. */
    size_t kept = 0;
    for (size_t i = 0; i < njobs; i++) {
      struct job *j = jobs[i];
      if (j->exited && j->out < 0 && j->err < 0) {
        close_fd(&j->in);
        answer(j->id, j->kind, j->value, &j->stdout_buf, &j->stderr_buf);
        free(j->stdout_buf.p);
        free(j->stderr_buf.p);
        free(j->frame);
        free(j);
      } else {
        jobs[kept++] = j;
      }
    }
    njobs = kept;
    /* Whole requests start their commands; a partial one waits for the rest. */
    size_t at = 0;
    while (requests.len - at >= 4) {
      uint32_t len = get_u32(requests.p + at);
      if (len > MAX_FRAME) die("a request is too large");
      if (requests.len - at - 4 < len) break;
      char *frame = malloc(len ? len : 1);
      if (!frame) die("out of memory");
      memcpy(frame, requests.p + at + 4, len);
      start(frame, len);
      at += 4 + (size_t)len;
    }
    memmove(requests.p, requests.p + at, requests.len - at);
    requests.len -= at;
  }
}
