#include "storage/staff.hpp"

#include <openssl/crypto.h>

#include "storage/outbox.hpp"

namespace gvo::storage {
namespace {

constexpr char kColumns[] =
    "SELECT id, address, role, centres, language, state, pinned_key, added_at, changed_at, "
    "enrol_key IS NOT NULL FROM staff ";
constexpr std::string_view kEnrolmentIndex = "staff enrolment";

SealedPlace address_place(StaffId id) { return {"staff", "address", std::to_string(id)}; }

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

}  // namespace

Result<StaffId> StaffStore::add(const std::string& address, StaffRole role,
                                const std::vector<std::string>& centres,
                                const std::string& language, std::int64_t now) {
  // The row id seals the address, so the row comes first with a placeholder.
  auto insert = store_.db().prepare(
      "INSERT INTO staff(address_key, address, role, centres, language, state, added_at, "
      "changed_at) VALUES (?1, x'', ?2, ?3, ?4, 'unverified', ?5, ?5)");
  if (!insert) return std::move(insert).error();
  auto inserted = insert->bind_blob(1, store_.sealer().blind_index("staff address", address))
                      .bind(2, to_string(role))
                      .bind(3, joined(centres))
                      .bind(4, language)
                      .bind(5, now)
                      .run();
  if (!inserted) return std::move(inserted).error();
  const StaffId id = store_.db().last_insert_rowid();
  auto sealed = store_.sealer().seal(address_place(id), address);
  if (!sealed) return std::move(sealed).error();
  auto update = store_.db().prepare("UPDATE staff SET address = ?2 WHERE id = ?1");
  if (!update) return std::move(update).error();
  if (auto done = update->bind(1, id).bind_blob(2, sealed.value()).run(); !done)
    return std::move(done).error();
  return id;
}

Result<bool> StaffStore::remove(const std::string& address) {
  if (auto dropped = Outbox(store_).drop_all_but_notices(address); !dropped)
    return std::move(dropped).error();
  auto remove = store_.db().prepare("DELETE FROM staff WHERE address_key = ?1");
  if (!remove) return std::move(remove).error();
  if (auto done = remove->bind_blob(1, store_.sealer().blind_index("staff address", address)).run();
      !done) {
    return std::move(done).error();
  }
  return store_.db().changes() > 0;
}

Result<std::vector<StaffRow>> StaffStore::rows(Statement& query) {
  std::vector<StaffRow> found;
  while (true) {
    auto row = query.step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    StaffRow member;
    member.id = query.column_int64(0);
    auto address = store_.sealer().open(address_place(member.id), query.column_blob(1));
    if (!address) return std::move(address).error();
    member.address = std::move(address).value();
    const auto role = parse_staff_role(query.column_text(2));
    if (!role)
      return fail(Errc::unreadable_value, "staff.role of member " + std::to_string(member.id));
    member.role = *role;
    member.centres = split(query.column_text(3));
    member.language = query.column_text(4);
    const auto state = parse_staff_state(query.column_text(5));
    if (!state)
      return fail(Errc::unreadable_value, "staff.state of member " + std::to_string(member.id));
    member.state = *state;
    if (!query.column_is_null(6)) member.pinned_key = query.column_blob(6);
    member.added_at = query.column_int64(7);
    member.changed_at = query.column_int64(8);
    member.enrolment_pending = query.column_int64(9) != 0;
    found.push_back(std::move(member));
  }
  return found;
}

Result<std::optional<StaffRow>> StaffStore::find(const std::string& address) {
  auto query = store_.db().prepare(std::string(kColumns) + "WHERE address_key = ?1");
  if (!query) return std::move(query).error();
  query->bind_blob(1, store_.sealer().blind_index("staff address", address));
  auto found = rows(*query);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<StaffRow>();
  return std::optional<StaffRow>(std::move(found->front()));
}

Result<std::optional<StaffRow>> StaffStore::get(StaffId id) {
  auto query = store_.db().prepare(std::string(kColumns) + "WHERE id = ?1");
  if (!query) return std::move(query).error();
  query->bind(1, id);
  auto found = rows(*query);
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<StaffRow>();
  return std::optional<StaffRow>(std::move(found->front()));
}

Result<std::vector<StaffRow>> StaffStore::all() {
  auto query = store_.db().prepare(std::string(kColumns) + "ORDER BY id");
  if (!query) return std::move(query).error();
  return rows(*query);
}

Result<void> StaffStore::set_state(StaffId id, StaffState state, const Bytes* key,
                                   std::int64_t now) {
  auto update = store_.db().prepare(
      key != nullptr
          ? "UPDATE staff SET state = ?2, changed_at = ?3, pinned_key = ?4, enrol_key = NULL, "
            "enrol_expires_at = NULL, enrol_failures = 0 WHERE id = ?1"
          : "UPDATE staff SET state = ?2, changed_at = ?3, pinned_key = NULL WHERE id = ?1");
  if (!update) return std::move(update).error();
  update->bind(1, id).bind(2, to_string(state)).bind(3, now);
  if (key != nullptr) update->bind_blob(4, *key);
  return update->run();
}

Result<void> StaffStore::verify(StaffId id, const Bytes& identity_key, std::int64_t now) {
  auto dropped = drop_queued(id);
  if (!dropped) return std::move(dropped).error();
  return set_state(id, StaffState::active, &identity_key, now);
}

Result<int> StaffStore::suspend(StaffId id, std::int64_t now) {
  auto dropped = drop_queued(id);
  if (!dropped) return dropped;
  if (auto done = set_state(id, StaffState::suspended, nullptr, now); !done)
    return std::move(done).error();
  return dropped;
}

Result<int> StaffStore::drop_queued(StaffId id) {
  auto member = get(id);
  if (!member) return std::move(member).error();
  if (!member.value()) return 0;
  return Outbox(store_).drop_all_but_notices(member.value()->address);
}

Result<void> StaffStore::set_enrolment(StaffId id, std::string_view code, std::int64_t expires_at) {
  auto update = store_.db().prepare(
      "UPDATE staff SET enrol_key = ?2, enrol_expires_at = ?3, enrol_failures = 0 WHERE id = ?1");
  if (!update) return std::move(update).error();
  const Bytes key =
      store_.sealer().blind_index(kEnrolmentIndex, std::to_string(id) + ":" + std::string(code));
  return update->bind(1, id).bind_blob(2, key).bind(3, expires_at).run();
}

Result<Enrolment> StaffStore::use_enrolment(StaffId id, std::string_view code, std::int64_t now) {
  auto query = store_.db().prepare(
      "SELECT enrol_key, enrol_expires_at, enrol_failures FROM staff "
      "WHERE id = ?1 AND enrol_key IS NOT NULL");
  if (!query) return std::move(query).error();
  auto found = query->bind(1, id).step();
  if (!found) return std::move(found).error();
  if (!found.value()) return Enrolment::none;
  const Bytes expected = query->column_blob(0);
  const std::int64_t expires_at = query->column_int64(1);
  const std::int64_t failures = query->column_int64(2);
  const Bytes given =
      store_.sealer().blind_index(kEnrolmentIndex, std::to_string(id) + ":" + std::string(code));
  const bool same = given.size() == expected.size() &&
                    CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
  Enrolment outcome = Enrolment::wrong;
  if (now > expires_at) {
    outcome = Enrolment::expired;
  } else if (same) {
    outcome = Enrolment::matched;
  }
  const bool burnt = outcome != Enrolment::wrong || failures + 1 >= kMaxEnrolmentFailures;
  auto update = store_.db().prepare(
      burnt ? "UPDATE staff SET enrol_key = NULL, enrol_expires_at = NULL, enrol_failures = 0 "
              "WHERE id = ?1"
            : "UPDATE staff SET enrol_failures = enrol_failures + 1 WHERE id = ?1");
  if (!update) return std::move(update).error();
  if (auto done = update->bind(1, id).run(); !done) return std::move(done).error();
  return outcome;
}

Result<void> AuditLog::record(std::int64_t now, const std::string& actor,
                              std::optional<StaffId> actor_staff, const std::string& action,
                              const std::string& subject) {
  auto insert = store_.db().prepare(
      "INSERT INTO audit(at, actor, actor_staff_id, action, subject_key, subject) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return std::move(insert).error();
  insert->bind(1, now).bind(2, actor);
  if (actor_staff) {
    insert->bind(3, *actor_staff);
  } else {
    insert->bind_null(3);
  }
  insert->bind(4, action);
  if (subject.empty()) {
    insert->bind_null(5).bind_null(6);
  } else {
    auto sealed = store_.sealer().seal({"audit", "subject", action}, subject);
    if (!sealed) return std::move(sealed).error();
    insert->bind_blob(5, store_.sealer().blind_index("audit subject", subject))
        .bind_blob(6, sealed.value());
  }
  return insert->run();
}

Result<void> AuditLog::forget(const std::string& subject) {
  auto remove = store_.db().prepare("DELETE FROM audit WHERE subject_key = ?1");
  if (!remove) return std::move(remove).error();
  return remove->bind_blob(1, store_.sealer().blind_index("audit subject", subject)).run();
}

Result<std::vector<AuditRow>> AuditLog::about(const std::string& subject) {
  auto query = store_.db().prepare(
      "SELECT at, actor, actor_staff_id, action, subject FROM audit WHERE subject_key = ?1 "
      "ORDER BY id");
  if (!query) return std::move(query).error();
  query->bind_blob(1, store_.sealer().blind_index("audit subject", subject));
  std::vector<AuditRow> found;
  while (true) {
    auto row = query->step();
    if (!row) return std::move(row).error();
    if (!row.value()) break;
    AuditRow entry;
    entry.at = query->column_int64(0);
    entry.actor = query->column_text(1);
    if (!query->column_is_null(2)) entry.actor_staff = query->column_int64(2);
    entry.action = query->column_text(3);
    auto opened = store_.sealer().open({"audit", "subject", entry.action}, query->column_blob(4));
    if (!opened) return std::move(opened).error();
    entry.subject = std::move(opened).value();
    found.push_back(std::move(entry));
  }
  return found;
}

}  // namespace gvo::storage
