#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "bot/admin/commands.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/export.hpp"
#include "storage/cases.hpp"

namespace gvo::admin {

// Writes every case to a new file only its owner can read; never overwrites one.
int export_cases(const core::Config& config, const std::string& output) {
  storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, desk::case_indexer());
  auto exported = desk::export_cases(store, std::chrono::system_clock::now());
  if (!exported) {
    log::error("cases export: " + storage::describe(exported.error()));
    return daemon::kExitFailure;
  }
  const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "gvo-bot: cannot create %s: %s%s\n", output.c_str(), std::strerror(errno),
                 errno == EEXIST ? " (remove it or choose another name)" : "");
    return daemon::kExitFailure;
  }
  const std::string& text = exported.value();
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool synced = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    std::fprintf(stderr, "gvo-bot: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
    ::unlink(output.c_str());
    return daemon::kExitFailure;
  }
  storage::CaseStore cases(store);
  const auto count = cases.all();
  std::printf("gvo-bot: %zu case(s) written to %s (readable by you only)\n",
              count ? count->size() : 0, output.c_str());
  return 0;
}

}  // namespace gvo::admin
