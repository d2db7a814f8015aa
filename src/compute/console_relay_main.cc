// stratus-console-relay: keeps an instance's console output on disk with a cap, as a container monitor (conmon)
// does for its container's logs.
//   stratus-console-relay CAP_BYTES FILE PROGRAM [ARGS...]
// Runs PROGRAM (`runc run --detach ...`) with its stdout and stderr on a pipe and exits with PROGRAM's exit status.
// A detached child of its own session copies what comes through the pipe into FILE; when FILE reaches half the
// cap it becomes FILE.1 (replacing the previous FILE.1) and a new FILE starts. The instance's console thus takes
// at most CAP_BYTES on disk and keeps its latest output. The child exits once every writer has closed the pipe
// (the instance's processes ended); it does not depend on stratusd, which may restart meanwhile.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int OpenLog(const std::string& file, off_t* size) {
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st;
  *size = fd >= 0 && fstat(fd, &st) == 0 ? st.st_size : 0;
  return fd;
}

// Copies `in` to `file` until EOF, rotating at `half` bytes.
void Relay(int in, const std::string& file, off_t half) {
  off_t size = 0;
  int out = OpenLog(file, &size);
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out >= 0 && size > 0 && size + n > half) {
      close(out);
      rename(file.c_str(), (file + ".1").c_str());
      out = OpenLog(file, &size);
    }
    // A chunk larger than half the cap (a cap under 128 KiB): keep its tail.
    const char* p = buf;
    if (n > half) {
      p += n - half;
      n = static_cast<ssize_t>(half);
    }
    // A failed write (disk full, file removed with the instance) drops the bytes: the instance must never block
    // on its console.
    while (out >= 0 && n > 0) {
      ssize_t w = write(out, p, static_cast<size_t>(n));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      p += w;
      n -= w;
      size += w;
    }
  }
  if (out >= 0) close(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: stratus-console-relay CAP_BYTES FILE PROGRAM [ARGS...]\n");
    return 2;
  }
  char* end = nullptr;
  long long cap = std::strtoll(argv[1], &end, 10);
  if (*end != '\0' || cap < 2) {
    std::fprintf(stderr, "stratus-console-relay: CAP_BYTES must be a number of bytes >= 2, not %s\n", argv[1]);
    return 2;
  }
  std::string file = argv[2];
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    std::perror("stratus-console-relay: pipe");
    return 1;
  }
  pid_t relay = fork();
  if (relay < 0) {
    std::perror("stratus-console-relay: fork");
    return 1;
  }
  if (relay == 0) {
    // Out of the caller's way: its own session, no terminal, the caller's pipes (stratusd waits for their EOF)
    // replaced by /dev/null.
    setsid();
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    close(p[1]);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
    // Detach from the caller's process: a second fork, so the relay is nobody's child to reap but init's.
    pid_t again = fork();
    if (again != 0) _exit(again < 0 ? 1 : 0);
    Relay(p[0], file, static_cast<off_t>(cap / 2));
    _exit(0);
  }
  close(p[0]);
  waitpid(relay, nullptr, 0);  // the first fork's exit, at once
  pid_t prog = fork();
  if (prog < 0) {
    std::perror("stratus-console-relay: fork");
    return 1;
  }
  if (prog == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    execvp(argv[3], argv + 3);
    std::fprintf(stderr, "stratus-console-relay: cannot run %s\n", argv[3]);
    _exit(127);
  }
  close(p[1]);
  int status = 0;
  while (waitpid(prog, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
