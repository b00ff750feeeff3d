#include "bot/daemon/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace gvo::daemon {

std::string harden_process() {
  std::string failed;
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    failed += std::string("core dumps stay possible (") + std::strerror(errno) + ")";
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    failed += (failed.empty() ? "" : "; ") + std::string("the process stays dumpable (") +
              std::strerror(errno) + ")";
  }
  // A file that may not grow (RLIMIT_FSIZE, a quota) makes writes fail with EFBIG, which the
  // store reports and the pipeline retries; the default action of SIGXFSZ would end the process.
  if (std::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) {
    failed += (failed.empty() ? "" : "; ") + std::string("SIGXFSZ would end the process (") +
              std::strerror(errno) + ")";
  }
  return failed;
}

}  // namespace gvo::daemon
