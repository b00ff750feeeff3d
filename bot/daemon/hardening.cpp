#include "bot/daemon/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
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
  return failed;
}

}  // namespace gvo::daemon
