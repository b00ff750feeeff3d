// Staff who are not active yet: their first message carries the one-time code an admin issued
// (`gvo-bot staff add`, `gvo-bot staff enrol`); only then is the identity key they write with
// pinned. Whoever holds the address without the code gets nothing but "not active". Runs inside
// the transaction of the message.
#include "bot/cases/enrolment.hpp"

#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"

namespace gvo::desk {

namespace log = gvo::log;

Result<void> Desk::answer_inactive(storage::StaffRow& member, std::string_view text,
                                   const std::optional<Identity>& identity, TimePoint now) {
  const auto code = cases::find_enrolment_code(text);
  if (!code || !member.enrolment_pending) return reply(member, "staff.inactive");
  // The key is what the code vouches for: without it the code is kept for the next try.
  if (!identity) return reply(member, "staff.enrol_again");
  const std::int64_t seconds = unix_seconds(now);
  auto enrolment = staff_.use_enrolment(member.id, *code, seconds);
  if (!enrolment) return std::move(enrolment).error();
  if (enrolment.value() != storage::Enrolment::matched) {
    log::notice("a staff enrolment with a wrong or expired code was refused");
    if (auto audited = audit(member, "enrol_refused", member.address, now); !audited)
      return audited;
    return reply(member, "staff.enrol_refused");
  }
  // What was queued for the address before, under whoever held it, goes (StaffStore::verify).
  if (auto verified = staff_.verify(member.id, identity->key, seconds); !verified) return verified;
  if (auto audited = audit(member, "staff_enrolled", member.address, now); !audited) return audited;
  log::notice("a staff member enrolled; their identity key is pinned");
  member.state = storage::StaffState::active;
  member.pinned_key = identity->key;
  member.enrolment_pending = false;
  return reply(member, "staff.enrolled", {{"role", std::string(storage::to_string(member.role))}});
}

}  // namespace gvo::desk
