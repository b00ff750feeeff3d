#include "bot/desk/stats.hpp"

#include <cstdio>
#include <map>
#include <tuple>

#include "bot/cases/case.hpp"
#include "flows/validators.hpp"
#include "storage/cases.hpp"

namespace gvo::desk {

storage::Result<std::vector<CaseCount>> count_cases(storage::Store& store) {
  storage::CaseStore cases(store);
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
  auto ids = cases.all();
  if (!ids) return std::move(ids).error();
  for (auto id : ids.value()) {
    auto row = cases.get(id);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    std::string centre = intake ? cases::facts_of(intake.value()).centre : std::string();
    const auto date = flows::brussels_date(static_cast<double>(row->created_at) * 1000.0);
    char month[16];
    std::snprintf(month, sizeof month, "%04d-%02d", date.year, date.month);
    ++counts[{month, centre.empty() ? "-" : centre, std::string(storage::to_string(row->status))}];
  }
  auto purged = cases.purged_counts();
  if (!purged) return std::move(purged).error();
  for (const auto& count : purged.value())
    counts[{count.month, count.centre, count.outcome}] += count.count;
  std::vector<CaseCount> rows;
  for (const auto& [key, count] : counts)
    rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  return rows;
}

std::string to_csv(const std::vector<CaseCount>& counts) {
  std::string text = "month,centre,status,count\n";
  for (const auto& count : counts) {
    text += count.month + "," + count.centre + "," + count.status + "," +
            std::to_string(count.count) + "\n";
  }
  return text;
}

}  // namespace gvo::desk
