#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <openssl/rand.h>

#include "bot/admin/commands.hpp"
#include "bot/admin/staff_identities.hpp"
#include "bot/cases/enrolment.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/desk.hpp"
#include "bot/desk/flow_set.hpp"
#include "storage/staff.hpp"

namespace gvo::admin {
namespace {

constexpr long kDefaultEnrolmentHours = 72;

int usage(const char* text) {
  std::fprintf(stderr, "gvo-bot: %s\nTry 'gvo-bot --help'.\n", text);
  return daemon::kExitUsage;
}

int failed(const storage::Error& error) {
  std::fprintf(stderr, "gvo-bot: %s\n", storage::describe(error).c_str());
  return daemon::kExitFailure;
}

// A relay account name or a Signal ACI/number: printable, no spaces, not too long.
bool valid_address(const std::string& address) {
  if (address.empty() || address.size() > 128 || address.front() == '-') return false;
  return std::all_of(address.begin(), address.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

// staff list: every member; a key's fingerprint only once it is pinned.
int list_staff(const core::Config& config, storage::Store& store, std::int64_t now) {
  storage::StaffStore staff(store);
  auto members = staff.all();
  if (!members) return failed(members.error());
  std::string unavailable;
  const auto identity_for = staff_identities(config, store, now * 1000, unavailable);
  if (!unavailable.empty())
    std::fprintf(stderr, "gvo-bot: no keys shown: %s\n", unavailable.c_str());
  for (const auto& member : members.value()) {
    std::string centres;
    for (const auto& centre : member.centres) centres += (centres.empty() ? "" : ",") + centre;
    // Only a pinned key's fingerprint: the one held for anyone else is what `staff verify`
    // checks, and is read out by the member, never copied from here.
    const auto identity = identity_for(member.address);
    std::string shown = unavailable.empty() ? "(no key yet)" : "(key not read)";
    if (identity && member.state == storage::StaffState::active &&
        identity->key == member.pinned_key) {
      shown = identity->fingerprint;
    } else if (identity) {
      shown = "(a key is held, not shown: the member reads theirs out)";
    }
    const std::string role(storage::to_string(member.role));
    const std::string state(storage::to_string(member.state));
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", member.address.c_str(), role.c_str(),
                centres.empty() ? "-" : centres.c_str(), member.language.c_str(), state.c_str(),
                shown.c_str());
  }
  if (members->empty()) std::printf("no staff yet: gvo-bot staff add ADDRESS ROLE\n");
  return 0;
}

// staff remove ADDRESS: what waits for them in the outbox goes too.
int remove_member(storage::Store& store, std::int64_t now, const std::string& address) {
  storage::StaffStore staff(store);
  auto removed = store.db().transact([&]() -> storage::Result<bool> {
    auto done = staff.remove(address);  // what waits for them in the outbox goes too
    if (done && done.value()) {
      storage::AuditLog audit(store);
      if (auto recorded = audit.record(now, "admin", std::nullopt, "staff_removed", address);
          !recorded) {
        return std::move(recorded).error();
      }
    }
    return done;
  });
  if (!removed) return failed(removed.error());
  if (!removed.value()) return usage("staff remove: no such member");
  std::printf("gvo-bot: %s removed\n", address.c_str());
  return 0;
}

// staff verify ADDRESS FINGERPRINT: pins the key held for them if the member read out its
// fingerprint; their role is active then.
int verify_member(const core::Config& config, storage::Store& store, std::int64_t now,
                  const std::vector<std::string>& arguments) {
  storage::StaffStore staff(store);
  const std::string& address = arguments[1];
  if (arguments.size() < 3)
    return usage("staff verify ADDRESS FINGERPRINT (as the member reads it out from their device)");
  std::string given;
  for (std::size_t i = 2; i < arguments.size(); ++i) given += arguments[i];
  auto member = staff.find(address);
  if (!member) return failed(member.error());
  if (!member.value()) return usage("staff verify: no such member");
  std::string unavailable;
  const auto identity = staff_identities(config, store, now * 1000, unavailable)(address);
  if (!unavailable.empty()) {
    std::fprintf(stderr, "gvo-bot: the keys cannot be read: %s\n", unavailable.c_str());
    return daemon::kExitFailure;
  }
  auto digits = [](std::string text) {
    text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
    return text;
  };
  if (!identity) return usage("staff verify: no key for this address yet (they must write first)");
  if (digits(identity->fingerprint) != digits(given)) {
    // Never the fingerprint held: the check would become copy and paste.
    storage::AuditLog audit(store);
    (void)store.db().transact(
        [&] { return audit.record(now, "admin", std::nullopt, "verify_refused", address); });
    std::fprintf(stderr,
                 "gvo-bot: that is not the fingerprint of the key held for %s: check it with "
                 "them again (this attempt is recorded)\n",
                 address.c_str());
    return daemon::kExitFailure;
  }
  auto verified = store.db().transact([&]() -> storage::Result<void> {
    if (auto done = staff.verify(member.value()->id, identity->key, now); !done) return done;
    storage::AuditLog audit(store);
    return audit.record(now, "admin", std::nullopt, "staff_verified", address);
  });
  if (!verified) return failed(verified.error());
  std::printf("gvo-bot: %s verified; their role is active\n", address.c_str());
  return 0;
}

// staff add ADDRESS ROLE [options] | staff enrol ADDRESS [--valid-hours H]: a one-time enrolment
// code, shown once.
int issue_enrolment(const core::Config& config, storage::Store& store, std::int64_t now,
                    const std::vector<std::string>& arguments) {
  storage::StaffStore staff(store);
  const std::string& action = arguments.front();
  const std::string& address = arguments[1];
  // add ADDRESS ROLE [--centres a,b] [--language fr] [--valid-hours H]
  // enrol ADDRESS [--valid-hours H]
  const bool adding = action == "add";
  if (adding && arguments.size() < 3) return usage("staff add ADDRESS coordinator|referent");
  const auto role = storage::parse_staff_role(adding ? arguments[2] : std::string());
  if (adding && !role) return usage("staff add: the role is coordinator or referent");
  if (!valid_address(address))
    return usage("staff: an address is a relay account or a Signal ACI, without spaces");
  // A number can move to another account; messages come from the account's ACI.
  if (config.transport == core::TransportKind::signal_cli && address.front() == '+')
    return usage("staff: on signal-cli a member is their ACI (sourceUuid), not a phone number");
  std::vector<std::string> centres;
  std::string language = "fr";
  long valid_hours = kDefaultEnrolmentHours;
  for (std::size_t i = adding ? 3 : 2; i < arguments.size(); ++i) {
    const std::string& option = arguments[i];
    if (option == "--trust-first-key") {
      return usage(
          "staff add: --trust-first-key is gone: the member enrols with the code this command "
          "prints, or is verified by fingerprint");
    }
    if (i + 1 >= arguments.size()) return usage("staff: unknown option or missing value");
    const std::string& value = arguments[++i];
    if (option == "--valid-hours") {
      char* end = nullptr;
      valid_hours = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || valid_hours < 1 || valid_hours > 24 * 30)
        return usage("staff: --valid-hours is a number of hours from 1 to 720");
    } else if (adding && option == "--language") {
      language = value;
      if (language != "fr" && language != "nl" && language != "en" && language != "ar")
        return usage("staff add: --language is fr, nl, en or ar");
    } else if (adding && option == "--centres") {
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t end = std::min(value.find(',', start), value.size());
        if (end > start) centres.push_back(value.substr(start, end - start));
        start = end + 1;
      }
    } else {
      return usage("staff: unknown option or missing value");
    }
  }
  if (adding && role == storage::StaffRole::referent && centres.empty())
    return usage("staff add: a referent needs --centres (ids of centres.json)");
  if (adding && !centres.empty()) {
    const auto flows = desk::load_flows(config.flows_dir);
    for (const auto& centre : centres) {
      if (flows->validators->centres().find(centre) == nullptr)
        return usage(("staff add: no centre '" + centre + "' in centres.json").c_str());
    }
  }
  std::array<std::uint8_t, cases::kEnrolmentRandomBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    std::fprintf(stderr, "gvo-bot: no randomness for an enrolment code\n");
    return daemon::kExitFailure;
  }
  const std::string code = cases::make_enrolment_code(random);
  const std::int64_t expires_at = now + valid_hours * 3600;
  bool missing = false;
  auto issued = store.db().transact([&]() -> storage::Result<void> {
    storage::StaffId id = 0;
    if (adding) {
      auto added = staff.add(address, *role, centres, language, now);
      if (!added) return std::move(added).error();
      id = added.value();
    } else {
      auto member = staff.find(address);
      if (!member) return std::move(member).error();
      if (!member.value()) {
        missing = true;
        return {};
      }
      id = member.value()->id;
    }
    auto normalised = cases::find_enrolment_code(code);
    if (auto done = staff.set_enrolment(id, normalised.value_or(code), expires_at); !done)
      return done;
    storage::AuditLog audit(store);
    return audit.record(now, "admin", std::nullopt, adding ? "staff_added" : "enrolment_issued",
                        address);
  });
  if (!issued) {
    if (issued.code() == storage::Errc::constraint)
      return usage("staff add: this address is already registered (a new code: staff enrol)");
    return failed(issued.error());
  }
  if (missing) return usage("staff enrol: no such member");
  std::fprintf(
      stderr, "gvo-bot: %s%s. Their enrolment code, shown this once, valid %ld hours:\n",
      address.c_str(),
      adding ? (" added as " + std::string(storage::to_string(*role))).c_str() : ": a new code",
      valid_hours);
  std::printf("%s\n", code.c_str());
  std::fprintf(stderr,
               "Give it to them by another way than this chat. Their first message to the bot "
               "carries it (\"enrol\" and the code; gvo-chat --enrol CODE); their identity key "
               "is pinned then, and their role is active.\n");
  return 0;
}

}  // namespace

int manage_staff(const core::Config& config, const std::vector<std::string>& arguments) {
  storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::refused, desk::case_indexer());
  const std::int64_t now = desk::unix_seconds(std::chrono::system_clock::now());
  const std::string& action = arguments.front();
  if (action == "list") return list_staff(config, store, now);
  if (arguments.size() < 2) return usage("staff: which address?");
  if (action == "remove") return remove_member(store, now, arguments[1]);
  if (action == "verify") return verify_member(config, store, now, arguments);
  return issue_enrolment(config, store, now, arguments);
}

}  // namespace gvo::admin
