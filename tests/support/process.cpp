#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <signal.h>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace gvo::test {
namespace {

std::string read_text(const std::string& path) {
  const auto bytes = read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

int unique_number() {
  static int counter = 0;
  return ++counter;
}

}  // namespace

NotifySocket::NotifySocket(const std::string& path) : path_(path) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (fd_ < 0 || path.size() >= sizeof address.sun_path) throw std::runtime_error("notify socket");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind notify socket: " + std::string(std::strerror(errno)));
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(path_.c_str());
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd ready{fd_, POLLIN, 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buffer[4096];
  const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
  if (size < 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(size));
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& working_dir,
                           const std::vector<std::string>& extra_env) {
  const std::string stem =
      working_dir + "/.child-" + std::to_string(::getpid()) + "-" + std::to_string(unique_number());
  stdout_path_ = stem + ".out";
  stderr_path_ = stem + ".err";

  std::vector<std::string> arguments{program};
  arguments.insert(arguments.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : arguments) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    // The child is a process of its own: no systemd context leaks in from the test runner.
    if (text.rfind("NOTIFY_SOCKET=", 0) == 0 || text.rfind("JOURNAL_STREAM=", 0) == 0) continue;
    environment.push_back(text);
  }
  environment.insert(environment.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0 || ::chdir(working_dir.c_str()) != 0) ::_exit(127);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    // Nothing else of the test goes with the child: an inherited listening socket (a fake
    // signal-cli's, say) would stay open in it after the test closed its own.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int ignored = 0;
    ::waitpid(pid_, &ignored, 0);
  }
  ::unlink(stdout_path_.c_str());
  ::unlink(stderr_path_.c_str());
}

void ChildProcess::send_signal(int signal_number) { ::kill(pid_, signal_number); }

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  // A pidfd becomes readable when the child exits: a real wait, not a sleep.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    (void)::poll(&exited, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      ::usleep(2000);  // only where the kernel has no pidfd_open
    }
    return std::nullopt;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

std::string ChildProcess::stdout_text() const { return read_text(stdout_path_); }
std::string ChildProcess::stderr_text() const { return read_text(stderr_path_); }

namespace {

bool wait_for_text(const std::string& path, const std::string& text,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (read_text(path).find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

bool ChildProcess::wait_for_stdout(const std::string& text,
                                   std::chrono::milliseconds timeout) const {
  return wait_for_text(stdout_path_, text, timeout);
}

bool ChildProcess::wait_for_stderr(const std::string& text,
                                   std::chrono::milliseconds timeout) const {
  return wait_for_text(stderr_path_, text, timeout);
}

Completed run_to_completion(const std::string& program, const std::vector<std::string>& args,
                            const std::string& working_dir,
                            const std::vector<std::string>& extra_env) {
  ChildProcess child(program, args, working_dir, extra_env);
  const auto code = child.wait_for_exit(std::chrono::seconds(10));
  if (!code) throw std::runtime_error(program + " did not finish within 10 s");
  return Completed{*code, child.stdout_text(), child.stderr_text()};
}

ReadyDaemon start_ready(const std::string& program, const std::vector<std::string>& args,
                        const std::string& working_dir, const std::string& name) {
  ReadyDaemon daemon;
  daemon.notify = std::make_unique<NotifySocket>(working_dir + "/" + name + ".sock");
  daemon.process = std::make_unique<ChildProcess>(
      program, args, working_dir,
      std::vector<std::string>{"NOTIFY_SOCKET=" + daemon.notify->path()});
  const auto ready = daemon.notify->receive(std::chrono::seconds(10));
  if (!ready || ready->find("READY=1") == std::string::npos) {
    throw std::runtime_error(name + " did not become ready: " + daemon.process->stderr_text());
  }
  return daemon;
}

}  // namespace gvo::test
