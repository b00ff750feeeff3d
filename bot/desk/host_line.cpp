// The two-way line between staff and a case's hosts (issue 15): staff answer hosts through the
// bot ("reply"), hosts' words after filing reach the coordinators and the assigned member as
// notes on the case, hosts hear of the changes that concern them, and "human" opens a request
// staff see, answer and close. Every message goes through the outbox (and its gate) like the
// rest; inside the caller's transaction.
#include "bot/cases/host_line.hpp"

#include <algorithm>

#include "bot/desk/desk.hpp"
#include "bot/log/log.hpp"
#include "storage/help_requests.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr char kHostNoteEvent[] = "host_note";
constexpr char kReplyEvent[] = "reply";
constexpr char kHumanEvent[] = "human_requested";

}  // namespace

Result<flows::Language> Desk::language_of(storage::PeerId peer, const std::string& intake_json) {
  auto saved = conversations_.load(peer);
  if (!saved) return std::move(saved).error();
  if (saved.value()) {
    if (auto session = flows::session_from_json(*saved.value()); session) return session->language;
    if (auto asked = forget_question_language(*saved.value())) return *asked;
  }
  if (!intake_json.empty()) {
    if (auto intake = flows::session_from_json(intake_json); intake && !intake->language.empty())
      return intake->language;
  }
  return flows_.catalog.languages.front();
}

Result<std::vector<Desk::HostOnLine>> Desk::hosts_of(const storage::CaseRow& row) {
  auto peers = cases_.hosts(row.id);
  if (!peers) return std::move(peers).error();
  std::vector<HostOnLine> hosts;
  for (storage::PeerId peer : peers.value()) {
    auto address = peers_.address(peer);
    if (!address) {
      if (address.code() == storage::Errc::not_found) continue;
      return std::move(address).error();
    }
    auto language = language_of(peer, row.intake);
    if (!language) return std::move(language).error();
    hosts.push_back({peer, std::move(address).value(), std::move(language).value()});
  }
  return hosts;
}

Result<void> Desk::tell_hosts_status(const storage::CaseRow& row, cases::Status status,
                                     std::optional<storage::PeerId> except) {
  const std::string key = cases::host_notice_key(status);
  if (key.empty()) return {};
  auto hosts = hosts_of(row);
  if (!hosts) return std::move(hosts).error();
  for (const auto& host : hosts.value()) {
    if (except && host.peer == *except) continue;
    if (auto sent = to_host(host.address,
                            flows_.desk.text(key, host.language, {{"reference", row.reference}}));
        !sent) {
      return sent;
    }
  }
  return {};
}

Result<void> Desk::host_note(const Host& host, const storage::CaseRow& row,
                             const cases::Facts& facts, std::string_view text,
                             const flows::Language& language, TimePoint now) {
  const std::string words(text);
  // The host's own words: sealed, and cleared with their other words if they are forgotten.
  if (auto event = cases_.add_event(row.id, unix_seconds(now), "host", host.peer, kHostNoteEvent,
                                    std::nullopt, words);
      !event) {
    return event;
  }
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  auto told = tell_coordinators([&](const storage::StaffRow& member) {
    return flows_.desk.text("staff.line.host_note", member.language,
                            {{"reference", row.reference}, {"words", words}});
  });
  if (!told) return told;
  // The member it is assigned to, if a referent (coordinators have it already): as the
  // person's consent allows them to read it.
  if (row.assigned) {
    auto assigned = staff_.get(*row.assigned);
    if (!assigned) return std::move(assigned).error();
    const auto& member = assigned.value();
    if (member && member->state == storage::StaffState::active &&
        member->role == cases::Role::referent) {
      const auto consent = consent_now(row.id, facts);
      if (!consent) return std::move(consent).error();
      std::string notice;
      switch (cases::view_of(member->role, member->centres, facts.centre, consent.value())) {
        case cases::View::visit:
        case cases::View::full:
          notice = flows_.desk.text("staff.line.host_note", member->language,
                                    {{"reference", row.reference}, {"words", words}});
          break;
        case cases::View::reduced:
          notice = flows_.desk.text("staff.line.host_note_reduced", member->language,
                                    {{"reference", row.reference}});
          break;
        case cases::View::none:
          break;
      }
      if (!notice.empty()) {
        if (auto sent = to_staff(member->address, notice); !sent) return sent;
      }
    }
  }
  if (auto marked = queued_about(row.id, mark.value()); !marked) return marked;
  log::info("a host wrote to GVO on a case");
  return to_host(host.address,
                 flows_.desk.text("host.line.noted", language, {{"reference", row.reference}}));
}

Result<void> Desk::open_help_request(const Host& host, const flows::Language& language,
                                     bool answered, TimePoint now) {
  auto filed = cases_.of_host(host.peer);
  if (!filed) return std::move(filed).error();
  std::optional<storage::CaseId> latest;
  if (!filed->empty()) latest = filed->front();
  std::string references;
  for (storage::CaseId id : filed.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    references += (references.empty() ? "" : ", ") + row->reference;
  }
  const std::int64_t seconds = unix_seconds(now);
  auto opened = storage::HelpRequests(store_).open(host.peer, latest, seconds);
  if (!opened) return std::move(opened).error();
  const std::string number = std::to_string(opened->request.id);
  if (latest) {
    if (auto event =
            cases_.add_event(*latest, seconds, "host", host.peer, kHumanEvent, std::nullopt, {});
        !event) {
      return event;
    }
  }
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  // Asked again while open: the coordinators are reminded, under the same number.
  auto told = tell_coordinators([&](const storage::StaffRow& member) {
    return flows_.desk.text("staff.human", member.language,
                            {{"number", number},
                             {"address", host.address},
                             {"references", references.empty() ? "-" : references}});
  });
  if (!told) return told;
  if (latest) {
    if (auto marked = queued_about(*latest, mark.value()); !marked) return marked;
  }
  log::info(opened->fresh ? "a host asked for a person: a request was opened"
                          : "a host asked for a person again");
  if (answered) return {};
  return to_host(host.address, flows_.desk.text("host.line.human", language, {{"number", number}}));
}

Result<void> Desk::reply_to_hosts(const storage::StaffRow& member,
                                  const cases::StaffCommand& command, TimePoint now) {
  const std::string who = member.address;
  auto tell_others = [&](const std::string& reference, const std::string& text) {
    return tell_coordinators(
        [&](const storage::StaffRow& other) {
          return flows_.desk.text("staff.line.replied_by", other.language,
                                  {{"who", who}, {"reference", reference}, {"text", text}});
        },
        member.address);
  };
  if (!command.references.empty()) {
    // To every host of a case.
    if (command.rest.empty()) return reply(member, "staff.line.reply_how");
    const auto loaded = visible_case(member, command.references.front());
    if (!loaded) return std::move(loaded).error();
    if (!loaded.value()) return {};  // answered as a case that does not exist
    const Loaded& visible = *loaded.value();
    auto hosts = hosts_of(visible.row);
    if (!hosts) return std::move(hosts).error();
    if (hosts->empty())
      return reply(member, "staff.line.no_host", {{"reference", visible.row.reference}});
    const auto mark = outbox_mark();
    if (!mark) return std::move(mark).error();
    for (const auto& host : hosts.value()) {
      if (auto sent = to_host(host.address, flows_.desk.text("host.line.from_gvo", host.language,
                                                             {{"reference", visible.row.reference},
                                                              {"text", command.rest}}));
          !sent) {
        return sent;
      }
    }
    if (auto event = case_event(member, visible, kReplyEvent, std::nullopt, command.rest, now);
        !event) {
      return event;
    }
    if (auto told = tell_others(visible.row.reference, command.rest); !told) return told;
    if (auto said =
            reply(member, "staff.line.replied",
                  {{"reference", visible.row.reference}, {"count", std::to_string(hosts->size())}});
        !said) {
      return said;
    }
    log::info("a coordinator answered a case's hosts");
    return queued_about(visible.row.id, mark.value());
  }
  // To the host of an open request.
  const std::string first = command.rest.substr(0, command.rest.find_first_of(" \t\n"));
  const auto number = cases::request_number(first);
  const std::string text = cases::after_first_word(command.rest);
  if (!number || text.empty()) return reply(member, "staff.line.reply_how");
  storage::HelpRequests requests(store_);
  auto request = requests.find_open(*number);
  if (!request) return std::move(request).error();
  const std::string shown = std::to_string(*number);
  if (!request.value()) return reply(member, "staff.human.no_such", {{"number", shown}});
  auto address = peers_.address(request.value()->peer);
  if (!address) {
    if (address.code() == storage::Errc::not_found)
      return reply(member, "staff.human.no_such", {{"number", shown}});
    return std::move(address).error();
  }
  std::optional<storage::CaseRow> row;
  if (request.value()->case_id) {
    auto found = cases_.get(*request.value()->case_id);
    if (!found) return std::move(found).error();
    row = std::move(found).value();
  }
  auto language = language_of(request.value()->peer, row ? row->intake : std::string());
  if (!language) return std::move(language).error();
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  const std::string message =
      row ? flows_.desk.text("host.line.from_gvo", language.value(),
                             {{"reference", row->reference}, {"text", text}})
          : flows_.desk.text("host.line.from_gvo_plain", language.value(), {{"text", text}});
  if (auto sent = to_host(address.value(), message); !sent) return sent;
  if (row) {
    auto intake = flows::session_from_json(row->intake);
    if (intake) {
      const Loaded loaded{*row, intake.value(), cases::facts_of(intake.value())};
      if (auto event = case_event(member, loaded, kReplyEvent, std::nullopt, text, now); !event)
        return event;
    }
  }
  if (auto told = tell_others(row ? row->reference : "#" + shown, text); !told) return told;
  if (auto said = reply(member, "staff.line.replied_request", {{"number", shown}}); !said)
    return said;
  log::info("a coordinator answered a request for a person");
  if (row) return queued_about(row->id, mark.value());
  return {};
}

Result<void> Desk::list_requests(const storage::StaffRow& member) {
  auto open = storage::HelpRequests(store_).all_open();
  if (!open) return std::move(open).error();
  std::string lines;
  for (const auto& request : open.value()) {
    auto address = peers_.address(request.peer);
    if (!address) {
      if (address.code() == storage::Errc::not_found) continue;
      return std::move(address).error();
    }
    auto references = host_references(request.peer);
    if (!references) return std::move(references).error();
    const auto day = flows::brussels_date(static_cast<double>(request.opened_at) * 1000.0);
    lines += (lines.empty() ? "" : "\n") +
             flows_.desk.text("staff.human.line", member.language,
                              {{"number", std::to_string(request.id)},
                               {"date", flows_.validators->display_date(day, member.language)},
                               {"time", cases::brussels_clock(request.opened_at)},
                               {"address", address.value()},
                               {"references", references->empty() ? "-" : *references}});
  }
  if (lines.empty()) return reply(member, "staff.human.none");
  return to_staff(member.address, lines);
}

Result<void> Desk::close_request(const storage::StaffRow& member,
                                 const cases::StaffCommand& command, TimePoint now) {
  const std::string first = command.rest.substr(0, command.rest.find_first_of(" \t\n"));
  const auto number = cases::request_number(first);
  if (!number) return reply(member, "staff.human.no_such", {{"number", first}});
  const std::string shown = std::to_string(*number);
  auto closed = storage::HelpRequests(store_).close(*number, member.id, unix_seconds(now));
  if (!closed) return std::move(closed).error();
  if (!closed.value()) return reply(member, "staff.human.no_such", {{"number", shown}});
  if (auto audited = audit(member, "request_closed", "", now); !audited) return audited;
  auto told = tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text("staff.human.closed_by", other.language,
                                {{"number", shown}, {"who", member.address}});
      },
      member.address);
  if (!told) return told;
  return reply(member, "staff.human.closed", {{"number", shown}});
}

}  // namespace gvo::desk
