// Runs a program of ours as a real child process, with its output captured to files, and waits for
// its readiness (sd_notify) and its exit with deadlines rather than sleeps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gvo::test {

// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path);
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket();

  const std::string& path() const { return path_; }
  // The next message, or nothing when none comes before the deadline.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);

 private:
  std::string path_;
  int fd_ = -1;
};

class ChildProcess {
 public:
  // Starts program with args in working_dir; extra_env entries are "NAME=value".
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& working_dir, const std::vector<std::string>& extra_env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills a child that is still running

  pid_t pid() const { return pid_; }
  void send_signal(int signal_number);
  // The exit status, or nothing if the child is still running at the deadline.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Whether the child has written text to stdout (stderr) by the deadline. Polled: another
  // process's progress gives nothing to wait on.
  bool wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout) const;
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

struct Completed {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs to completion (10 s at most) and returns what it printed.
Completed run_to_completion(const std::string& program, const std::vector<std::string>& args,
                            const std::string& working_dir,
                            const std::vector<std::string>& extra_env = {});

// A daemon of ours, started with $NOTIFY_SOCKET set, once it has said READY=1.
struct ReadyDaemon {
  std::unique_ptr<NotifySocket> notify;
  std::unique_ptr<ChildProcess> process;
};

// Starts program in working_dir (its notify socket there, named after name) and waits for READY=1;
// throws std::runtime_error with the daemon's stderr when it does not come within 10 s.
ReadyDaemon start_ready(const std::string& program, const std::vector<std::string>& args,
                        const std::string& working_dir, const std::string& name);

}  // namespace gvo::test
