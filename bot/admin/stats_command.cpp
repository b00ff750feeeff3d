#include <cstdio>

#include "bot/admin/commands.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/stats.hpp"

namespace gvo::admin {

// Anonymous counts, living and purged cases together: CSV for coordinators' spreadsheets.
int print_stats(const core::Config& config, bool csv) {
  storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, desk::case_indexer());
  auto counts = desk::count_cases(store);
  if (!counts) {
    std::fprintf(stderr, "gvo-bot: %s\n", storage::describe(counts.error()).c_str());
    return daemon::kExitFailure;
  }
  if (csv) {
    std::fputs(desk::to_csv(counts.value()).c_str(), stdout);
    return 0;
  }
  std::printf("%-8s %-16s %-14s %s\n", "month", "centre", "status", "count");
  for (const auto& count : counts.value()) {
    std::printf("%-8s %-16s %-14s %lld\n", count.month.c_str(), count.centre.c_str(),
                count.status.c_str(), static_cast<long long>(count.count));
  }
  return 0;
}

}  // namespace gvo::admin
