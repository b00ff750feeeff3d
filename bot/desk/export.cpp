#include "bot/desk/export.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "bot/desk/desk.hpp"
#include "flows/session.hpp"
#include "storage/cases.hpp"

namespace gvo::desk {
namespace {

using Json = nlohmann::ordered_json;

// "2026-03-16T10:00:00Z"
std::string utc_text(std::int64_t unix_seconds) {
  const long days =
      static_cast<long>(unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400);
  const auto seconds = static_cast<long>(unix_seconds - static_cast<std::int64_t>(days) * 86400);
  const flows::CivilDate date = flows::civil_from_days(days);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02ld:%02ld:%02ldZ", date.year, date.month,
                date.day, seconds / 3600, seconds / 60 % 60, seconds % 60);
  return text;
}

}  // namespace

storage::Result<std::string> export_cases(storage::Store& store, flows::TimePoint now) {
  storage::CaseStore cases(store);
  auto ids = cases.all();
  if (!ids) return std::move(ids).error();
  Json documents = Json::array();
  for (storage::CaseId id : ids.value()) {
    auto row = cases.get(id);
    if (!row) return std::move(row).error();
    Json document;
    document["reference"] = row->reference;
    document["status"] = std::string(storage::to_string(row->status));
    document["created_at"] = utc_text(row->created_at);
    document["updated_at"] = utc_text(row->updated_at);
    Json fields = Json::object();
    if (auto intake = flows::session_from_json(row->intake); intake) {
      document["flow"] = {{"id", intake->flow_id}, {"version", intake->flow_version}};
      document["language"] = intake->language;
      for (const auto& [name, answer] : intake->results) {
        if (answer.skipped) {
          fields[name] = nullptr;
          continue;
        }
        fields[name] = {
            {"value", answer.value}, {"shown", answer.display}, {"written", answer.raw}};
      }
    }
    document["fields"] = std::move(fields);
    auto events = cases.events(id);
    if (!events) return std::move(events).error();
    Json timeline = Json::array();
    for (const auto& event : events.value()) {
      Json item{{"at", utc_text(event.at)}, {"actor", event.actor}, {"kind", event.kind}};
      item["status"] = event.status ? Json(std::string(storage::to_string(*event.status))) : Json();
      item["detail"] = event.detail.empty() ? Json() : Json(event.detail);
      timeline.push_back(std::move(item));
    }
    document["events"] = std::move(timeline);
    auto links = cases.links(id);
    if (!links) return std::move(links).error();
    Json linked = Json::array();
    for (storage::CaseId other : links.value()) {
      auto other_row = cases.get(other);
      if (!other_row) return std::move(other_row).error();
      linked.push_back(other_row->reference);
    }
    document["linked"] = std::move(linked);
    documents.push_back(std::move(document));
  }
  Json root{{"format", 1},
            {"exported_at", utc_text(unix_seconds(now))},
            {"count", documents.size()},
            {"cases", std::move(documents)}};
  // Invalid UTF-8 cannot reach a case (the validators refuse it); replace it all the same.
  return root.dump(2, ' ', false, nlohmann::detail::error_handler_t::replace) + "\n";
}

}  // namespace gvo::desk
