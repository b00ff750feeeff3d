// The timers' payloads: each kind written and read back, the texts earlier versions stored still
// read, and anything else refused with a reason rather than guessed at.
#include "bot/cases/timer_payloads.hpp"

#include <catch2/catch.hpp>

using namespace gvo;
using cases::TimerErrc;

namespace {

bool same(const cases::TimerPayload& a, const cases::TimerPayload& b) {
  if (a.index() != b.index()) return false;
  if (const auto* wait = std::get_if<cases::ConversationWait>(&a)) {
    const auto& other = std::get<cases::ConversationWait>(b);
    return wait->kind == other.kind && wait->peer == other.peer && wait->wait == other.wait;
  }
  if (const auto* alert = std::get_if<cases::DeadlineAlert>(&a)) {
    const auto& other = std::get<cases::DeadlineAlert>(b);
    return alert->case_id == other.case_id && alert->days == other.days;
  }
  if (const auto* forget = std::get_if<cases::ForgetPeer>(&a))
    return forget->peer == std::get<cases::ForgetPeer>(b).peer;
  return true;  // DailyPurge, StaffNews, DailyDigest
}

}  // namespace

TEST_CASE("timer payloads: the texts earlier versions stored read as their payload") {
  using flows::TimerKind;
  struct Row {
    const char* kind;
    const char* subject;
    cases::TimerPayload expected;
  };
  for (const auto& row : std::vector<Row>{
           {"flow.reminder", "peer 12 wait 3", cases::ConversationWait{TimerKind::reminder, 12, 3}},
           {"flow.timeout", "peer 12 wait 3", cases::ConversationWait{TimerKind::timeout, 12, 3}},
           {"flow.reminder", "peer 1 wait 0", cases::ConversationWait{TimerKind::reminder, 1, 0}},
           {"flow.timeout", "peer 9007199254740993 wait 2147483647",
            cases::ConversationWait{TimerKind::timeout, 9007199254740993, 2147483647}},
           {"deadline", "case 7 day 5", cases::DeadlineAlert{7, 5}},
           {"deadline", "case 7 day 10", cases::DeadlineAlert{7, 10}},
           {"purge", "daily", cases::DailyPurge{}},
           {"forget.peer", "peer 12 ", cases::ForgetPeer{12}},  // as stored: the peers' prefix
           {"forget.peer", "peer 12", cases::ForgetPeer{12}},
       }) {
    INFO(row.kind << " '" << row.subject << "'");
    const auto decoded = cases::decode(row.kind, row.subject);
    REQUIRE(decoded.ok());
    CHECK(same(decoded.value(), row.expected));
  }
}

TEST_CASE("timer payloads: each payload is written as before and reads back") {
  using flows::TimerKind;
  struct Row {
    cases::TimerPayload payload;
    const char* kind;
    const char* subject;
  };
  for (const auto& row : std::vector<Row>{
           {cases::ConversationWait{TimerKind::reminder, 12, 3}, "flow.reminder", "peer 12 wait 3"},
           {cases::ConversationWait{TimerKind::timeout, 4, 0}, "flow.timeout", "peer 4 wait 0"},
           {cases::DeadlineAlert{7, 5}, "deadline", "case 7 day 5"},
           {cases::DailyPurge{}, "purge", "daily"},
           {cases::ForgetPeer{12}, "forget.peer", "peer 12 "},
           {cases::StaffNews{}, "staff.news", "batch"},
           {cases::DailyDigest{}, "digest", "daily"},
       }) {
    const auto stored = cases::encode(row.payload);
    CHECK(stored.kind == row.kind);
    CHECK(stored.subject == row.subject);
    const auto decoded = cases::decode(stored.kind, stored.subject);
    REQUIRE(decoded.ok());
    CHECK(same(decoded.value(), row.payload));
  }
}

TEST_CASE("timer payloads: a subject starts with its peer's or case's prefix, and no other's") {
  const auto wait = cases::encode(cases::ConversationWait{flows::TimerKind::reminder, 12, 3});
  CHECK(wait.subject.rfind(cases::peer_timers_prefix(12), 0) == 0);
  CHECK(wait.subject.rfind(cases::peer_timers_prefix(1), 0) == std::string::npos);
  CHECK(cases::encode(cases::ForgetPeer{12}).subject.rfind(cases::peer_timers_prefix(12), 0) == 0);
  const auto alert = cases::encode(cases::DeadlineAlert{7, 5});
  CHECK(alert.subject.rfind(cases::case_timers_prefix(7), 0) == 0);
  CHECK(alert.subject.rfind(cases::case_timers_prefix(70), 0) == std::string::npos);
}

TEST_CASE("timer payloads: a malformed subject or an unknown kind is refused, never guessed") {
  struct Row {
    const char* kind;
    const char* subject;
    TimerErrc expected;
  };
  for (const auto& row : std::vector<Row>{
           {"flow.reminder", "", TimerErrc::malformed_subject},
           {"flow.reminder", "peer 12", TimerErrc::malformed_subject},
           {"flow.reminder", "peer 12 wait", TimerErrc::malformed_subject},
           {"flow.reminder", "peer 12 wait 3x", TimerErrc::malformed_subject},
           {"flow.reminder", "peer 12 wait 3 4", TimerErrc::malformed_subject},
           {"flow.reminder", "peer -12 wait 3", TimerErrc::malformed_subject},
           {"flow.reminder", "peer +12 wait 3", TimerErrc::malformed_subject},
           {"flow.reminder", " peer 12 wait 3", TimerErrc::malformed_subject},
           {"flow.reminder", "peer  12 wait 3", TimerErrc::malformed_subject},
           {"flow.timeout", "peer 99999999999999999999 wait 3", TimerErrc::malformed_subject},
           {"flow.timeout", "peer 12 wait 99999999999", TimerErrc::malformed_subject},
           {"flow.timeout", "case 7 day 5", TimerErrc::malformed_subject},
           {"deadline", "case 7", TimerErrc::malformed_subject},
           {"deadline", "case 7 day five", TimerErrc::malformed_subject},
           {"deadline", "peer 7 wait 5", TimerErrc::malformed_subject},
           {"purge", "weekly", TimerErrc::malformed_subject},
           {"purge", "daily 2", TimerErrc::malformed_subject},
           {"digest", "weekly", TimerErrc::malformed_subject},
           {"digest", "daily 12", TimerErrc::malformed_subject},
           {"forget.peer", "peer", TimerErrc::malformed_subject},
           {"forget.peer", "peer 12 wait 3", TimerErrc::malformed_subject},
           {"forget.peer", "peer x", TimerErrc::malformed_subject},
           {"flow.nudge", "peer 12 wait 3", TimerErrc::unknown_kind},
           {"", "", TimerErrc::unknown_kind},
       }) {
    INFO(row.kind << " '" << row.subject << "'");
    const auto decoded = cases::decode(row.kind, row.subject);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.code() == row.expected);
    // The detail is logged: it names the kind, never the subject's ids.
    CHECK(decoded.error().detail.find("12") == std::string::npos);
  }
}
