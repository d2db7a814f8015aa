#include "common/subprocess.h"
#include "common/process_tools.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/fd.h"

extern char** environ;

namespace stratus {
namespace {

Status MakePipe(UniqueFd& r, UniqueFd& w) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  r.reset(fds[0]);
  w.reset(fds[1]);
  return Status::Ok();
}

}  // namespace

std::string FindInPath(const std::string& program) {
  const char* env = getenv("PATH");
  std::string dirs = env ? env : "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const RunOptions& options) {
  return RunProcessWithLines(argv, options, nullptr);
}

Result<ProcessResult> RunProcessWithLines(const std::vector<std::string>& argv, const RunOptions& options,
                                          const std::function<void(const std::string& line)>& on_line) {
  if (argv.empty()) return InvalidArgument("RunProcess: empty argv");
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  STRATUS_RETURN_IF_ERROR(MakePipe(in_r, in_w));
  STRATUS_RETURN_IF_ERROR(MakePipe(out_r, out_w));
  STRATUS_RETURN_IF_ERROR(MakePipe(err_r, err_w));
  UniqueFd file;
  if (!options.stdout_file.empty()) {
    file.reset(open(options.stdout_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!file.valid()) return Internal("open " + options.stdout_file + ": " + strerror(errno));
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, file.valid() ? file.get() : out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, file.valid() && options.stderr_to_stdout_file ? file.get() : err_w.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all_default;
  sigfillset(&all_default);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> envs;
  std::vector<char*> cenv;
  if (!options.env.empty()) {
    for (const auto& [k, v] : options.env) envs.push_back(k + "=" + v);
    for (auto& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), options.env.empty() ? environ : cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return NotFound("cannot run " + argv[0] + ": " + strerror(rc));
  in_r.reset();
  out_w.reset();
  err_w.reset();

  ProcessResult result;
  size_t written = 0;
  if (options.stdin_data.empty()) in_w.reset();
  fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  size_t out_seen = 0, err_seen = 0;  // the start of the first line not yet given to on_line
  auto emit_lines = [&on_line](const std::string& text, size_t* seen, bool at_end) {
    if (!on_line) return;
    size_t nl;
    while ((nl = text.find('\n', *seen)) != std::string::npos) {
      on_line(text.substr(*seen, nl - *seen));
      *seen = nl + 1;
    }
    if (at_end && *seen < text.size()) {
      on_line(text.substr(*seen));
      *seen = text.size();
    }
  };
  while (out_r.valid() || err_r.valid() || in_w.valid()) {
    pollfd pfds[3];
    int n = 0;
    if (out_r.valid()) pfds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.valid()) pfds[n++] = {err_r.get(), POLLIN, 0};
    if (in_w.valid()) pfds[n++] = {in_w.get(), POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int pr = poll(pfds, n, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      if (!pfds[i].revents) continue;
      int fd = pfds[i].fd;
      if (in_w.valid() && fd == in_w.get()) {
        ssize_t w = write(fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) in_w.reset();
        if (written == options.stdin_data.size()) in_w.reset();
        continue;
      }
      char buf[16384];
      ssize_t r = read(fd, buf, sizeof buf);
      bool is_out = fd == out_r.get();
      if (r > 0) {
        (is_out ? result.out : result.err).append(buf, static_cast<size_t>(r));
        emit_lines(is_out ? result.out : result.err, is_out ? &out_seen : &err_seen, false);
      } else if (r == 0 || errno != EINTR) {
        emit_lines(is_out ? result.out : result.err, is_out ? &out_seen : &err_seen, true);
        if (is_out) out_r.reset(); else err_r.reset();
      }
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return Unavailable(JoinArgv(argv) + ": timed out after " + std::to_string(options.timeout.count()) + " ms");
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return result;
}

Result<ProcessResult> RunChecked(const std::vector<std::string>& argv, const RunOptions& options) {
  STRATUS_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv, options));
  if (r.exit_code != 0) {
    std::string detail = r.err.empty() ? r.out : r.err;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    return Internal(JoinArgv(argv) + " exited " + std::to_string(r.exit_code) + ": " + detail);
  }
  return r;
}

}  // namespace stratus
