// The timers table: reminders, flow timeouts and deadline alerts are rows, so they survive
// restarts; the bot wakes for the earliest. Used on the bot's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace gvo::storage {

// Timers as rows (reminders, flow timeouts, deadline alerts): the bot wakes for the earliest.
// subject names what a timer concerns ("peer 12 wait 3", "case 7 day 5"), never personal data;
// bot/cases/timer_payloads.hpp writes and reads each kind's, typed.
struct TimerRow {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;
  std::int64_t due_at_ms = 0;  // Unix milliseconds
};

class Timers {
 public:
  explicit Timers(Store& store) : store_(store) {}

  // Replaces a timer of the same kind and subject.
  Result<void> schedule(const std::string& kind, const std::string& subject,
                        std::int64_t due_at_ms);
  // Every timer of kind whose subject starts with prefix.
  Result<void> cancel(const std::string& kind, const std::string& prefix);
  Result<bool> exists(const std::string& kind, const std::string& subject);
  Result<std::optional<std::int64_t>> next_due();
  Result<std::vector<TimerRow>> due(std::int64_t now_ms, int limit);
  Result<void> remove(std::int64_t id);

 private:
  Store& store_;
};

}  // namespace gvo::storage
