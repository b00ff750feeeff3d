// The desk: what the bot does with each message and timer once it is decrypted. Hosts talk with
// the intake flow; a filed intake becomes a case, linked to look-alike reports, forwarded to every
// coordinator and to the referents of its centre, with deadline alerts as timers. After filing, a
// host's news ("libéré", "transferred to Vottem", "ticket for Tuesday") becomes an event that
// reaches the staff, and "status" answers with their own cases. Referents acknowledge alerts.
//
// Every call runs inside the caller's transaction and returns false when nothing may commit (the
// message is then retried). Time comes in as an argument; messages go out through send.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/cases/case.hpp"
#include "bot/cases/notices.hpp"
#include "bot/core/config.hpp"
#include "bot/daemon/startup.hpp"
#include "storage/cases.hpp"
#include "storage/conversations.hpp"
#include "storage/timers.hpp"

namespace gvo::desk {

using TimePoint = flows::TimePoint;

class Desk {
 public:
  // Queues a message to an address (the outbox, in the same transaction).
  using Send = std::function<bool(const std::string& address, const std::string& text)>;
  using Random = std::function<std::array<std::uint8_t, cases::kReferenceRandomBytes>()>;

  Desk(storage::Store& store, const daemon::FlowSet& flows, std::vector<core::StaffMember> staff,
       std::string flow_id, Send send, Random random);

  bool on_message(const std::string& address, std::string_view text, TimePoint now);
  // Runs every timer due at now.
  bool on_due_timers(TimePoint now);
  // When the earliest timer is due (Unix milliseconds), if any.
  std::optional<std::int64_t> next_timer_ms();

 private:
  struct Host {
    storage::PeerId peer;
    std::string address;
  };

  // known_language: what the person wrote in before, for a new conversation.
  bool talk(const Host& host, const std::optional<std::string>& saved, const flows::Event& event,
            TimePoint now, const flows::Language& known_language = {});
  std::optional<std::string> file_case(const Host& host, const std::string& intake_json,
                                       TimePoint now);
  bool follow_up(const Host& host, const std::vector<storage::CaseId>& cases,
                 const flows::Language& language, std::string_view text, TimePoint now);
  bool on_staff_message(const core::StaffMember& member, std::string_view text, TimePoint now);
  bool run_timer(const storage::TimerRow& timer, TimePoint now);
  bool deadline_alert(storage::CaseId id, int days);

  const core::StaffMember* staff_member(const std::string& address) const;
  // Sends each staff member text_for(member); referents only for cases at centre (when given).
  bool tell_staff(const std::function<std::string(const core::StaffMember&)>& text_for,
                  const std::optional<std::string>& referents_of_centre,
                  const std::string& except_address = {});
  bool tell_coordinators(const std::function<std::string(const core::StaffMember&)>& text_for,
                         const std::string& except_address = {});
  std::optional<cases::Wording> wording_for(const flows::Session& intake) const;
  flows::ValidationContext context(const flows::Language& language, TimePoint now) const;

  storage::Store& store_;
  const daemon::FlowSet& flows_;
  std::vector<core::StaffMember> staff_;
  std::string flow_id_;
  Send send_;
  Random random_;
  storage::Peers peers_;
  storage::Conversations conversations_;
  storage::CaseStore cases_;
  storage::Timers timers_;
};

// The value a transport's inbound handler or a test reads as the time: Unix seconds and
// milliseconds of a time point.
std::int64_t unix_seconds(TimePoint now);
std::int64_t unix_millis(TimePoint now);

}  // namespace gvo::desk
