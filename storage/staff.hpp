// The staff registry: GVO's coordinators and referents (with their centres), each by transport
// address (sealed; found by a keyed hash) with the identity key pinned once its fingerprint was
// checked out of band. Managed with `gvo-bot staff` and by coordinators by chat. Used on the bot's
// one thread, inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/core/vocabulary.hpp"
#include "storage/store.hpp"

namespace gvo::storage {

using StaffId = std::int64_t;
// Stored as their words (bot/core/vocabulary.hpp); a word this version does not know reads as
// Errc::unreadable_value.
using core::parse_staff_role;
using core::parse_staff_state;
using core::StaffRole;
using core::StaffState;
using core::to_string;

struct StaffRow {
  StaffId id = 0;
  std::string address;
  StaffRole role = StaffRole::referent;
  std::vector<std::string> centres;
  std::string language;
  StaffState state = StaffState::unverified;
  Bytes pinned_key;                // empty until verified
  bool enrolment_pending = false;  // a one-time code was issued and not used up
  std::int64_t added_at = 0;
  std::int64_t changed_at = 0;
};

// What a code a member sent does against the one issued to them.
enum class Enrolment {
  matched,  // the code is right and in time: it is used up
  wrong,    // counted; the kMaxEnrolmentFailures-th wrong try burns the code
  expired,  // too late: burnt
  none,     // no code is pending for this member
};

inline constexpr int kMaxEnrolmentFailures = 5;

class StaffStore {
 public:
  explicit StaffStore(Store& store) : store_(store) {}

  // Whenever a member's standing changes (verified, suspended, removed), what was queued for
  // their address goes, notices without case data aside, in the same transaction: it was
  // decided under the standing that ended.
  // A new member starts unverified. Errc::constraint when the address is already registered.
  Result<StaffId> add(const std::string& address, StaffRole role,
                      const std::vector<std::string>& centres, const std::string& language,
                      std::int64_t now);
  // Whether there was such a member.
  Result<bool> remove(const std::string& address);
  Result<std::optional<StaffRow>> find(const std::string& address);
  Result<std::optional<StaffRow>> get(StaffId id);
  Result<std::vector<StaffRow>> all();  // in the order they were added
  // Active with this key pinned.
  Result<void> verify(StaffId id, const Bytes& identity_key, std::int64_t now);
  // Their key changed: nothing reaches them until a coordinator verifies them again. How many
  // queued messages went.
  Result<int> suspend(StaffId id, std::int64_t now);
  // A new one-time enrolment code for the member, replacing any earlier one, valid until
  // expires_at (Unix seconds). Only a keyed hash of it, bound to this member, is kept.
  Result<void> set_enrolment(StaffId id, std::string_view code, std::int64_t expires_at);
  // Compares a code the member sent (normalised by the caller) with theirs, in constant time.
  Result<Enrolment> use_enrolment(StaffId id, std::string_view code, std::int64_t now);

 private:
  Result<std::vector<StaffRow>> rows(Statement& query);
  Result<void> set_state(StaffId id, StaffState state, const Bytes* key, std::int64_t now);
  Result<int> drop_queued(StaffId id);

  Store& store_;
};

// The audit trail: who did what, to which case, when; never a field's value.
struct AuditRow {
  std::int64_t at = 0;
  std::string actor;  // coordinator, referent, host, bot, admin
  std::optional<StaffId> actor_staff;
  std::string action;
  std::string subject;  // opened: a case reference, a staff address, or empty
};

class AuditLog {
 public:
  explicit AuditLog(Store& store) : store_(store) {}

  Result<void> record(std::int64_t now, const std::string& actor,
                      std::optional<StaffId> actor_staff, const std::string& action,
                      const std::string& subject);
  // Entries about subject (a case reference), oldest first.
  Result<std::vector<AuditRow>> about(const std::string& subject);
  Result<void> forget(const std::string& subject);

 private:
  Store& store_;
};

}  // namespace gvo::storage
