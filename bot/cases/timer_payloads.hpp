// What each timer of the desk means, typed: the timers table (storage/timers.hpp) keeps a kind
// and a subject text, and this is the one place that writes and reads them. The stored text is
// the one earlier versions wrote ("peer 12 wait 3", "case 7 day 5"), so that existing databases
// keep working. A subject names ids, never personal data. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "bot/core/result.hpp"
#include "flows/engine.hpp"

namespace gvo::cases {

// The kinds as stored.
inline constexpr char kReminderTimer[] = "flow.reminder";
inline constexpr char kTimeoutTimer[] = "flow.timeout";
inline constexpr char kDeadlineTimer[] = "deadline";
inline constexpr char kPurgeTimer[] = "purge";
inline constexpr char kForgetPeerTimer[] = "forget.peer";
inline constexpr char kStaffNewsTimer[] = "staff.news";
inline constexpr char kDigestTimer[] = "digest";

// A host's conversation waits for an answer: a reminder or its timeout. wait numbers the wait
// (flows::Session::wait), so that the timer of an older one is ignored.
struct ConversationWait {
  flows::TimerKind kind = flows::TimerKind::reminder;
  std::int64_t peer = 0;
  int wait = 0;
};
// The coordinators' alert the day before day `days` after a case's arrest date.
struct DeadlineAlert {
  std::int64_t case_id = 0;
  int days = 0;
};
// Retention's daily purge (one timer, rescheduled after each run).
struct DailyPurge {};
// A forgotten host's address and keys go once the answer to them has left.
struct ForgetPeer {
  std::int64_t peer = 0;
};

// What staff did to cases, told to the other staff a few minutes after the first change, grouped
// (one timer; the changes are the case events since it was set).
struct StaffNews {};

// The coordinators' daily digest at 09:00 Brussels time (one timer, the next one set as it runs).
struct DailyDigest {};

using TimerPayload =
    std::variant<ConversationWait, DeadlineAlert, DailyPurge, ForgetPeer, StaffNews, DailyDigest>;

// A timer row's two texts.
struct StoredTimer {
  std::string kind;
  std::string subject;
};

StoredTimer encode(const TimerPayload& timer);

enum class TimerErrc {
  unknown_kind,       // a kind this version does not run
  malformed_subject,  // a known kind whose subject does not read as its payload
};
template <typename T>
using TimerResult = core::Result<T, TimerErrc>;

// The payload of a stored timer; the detail of a failure names the kind only.
TimerResult<TimerPayload> decode(std::string_view kind, std::string_view subject);

// The prefix every subject about a peer (conversation waits, forget.peer) or a case (deadline
// alerts) starts with, for storage::Timers::cancel: "peer 12 ", "case 7 ". Never a prefix of
// another peer's or case's ("peer 1 " is not one of "peer 12 ").
std::string peer_timers_prefix(std::int64_t peer);
std::string case_timers_prefix(std::int64_t case_id);

}  // namespace gvo::cases
