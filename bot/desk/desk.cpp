#include "bot/desk/desk.hpp"

#include <algorithm>
#include <cstdio>

#include "bot/cases/deadlines.hpp"
#include "bot/cases/matching.hpp"
#include "bot/cases/updates.hpp"
#include "bot/desk/stats.hpp"
#include "bot/log/log.hpp"
#include "flows/conversation.hpp"
#include "storage/help_requests.hpp"
#include "storage/inbox.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

// Not JSON: no session reads as one (flows::session_from_json refuses it).
constexpr char kForgetMarker[] = "forget?";
// A forgotten host's address and keys go once the answer to them has left.
constexpr std::int64_t kForgetPeerDelayMs = 10 * 60 * 1000;
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::int64_t kFirstPurgeDelayMs = 60 * 1000;
constexpr int kTimersPerRun = 100;
constexpr std::size_t kStatusLinesShown = 5;

// A saved session or a case's intake that does not read: nothing of the call commits.
storage::Error unreadable(const std::string& what) {
  return storage::fail(storage::Errc::unreadable_value, what + " does not read as a session");
}

Result<void> schedule(storage::Timers& timers, const cases::TimerPayload& payload,
                      std::int64_t due_at_ms) {
  const auto stored = cases::encode(payload);
  return timers.schedule(stored.kind, stored.subject, due_at_ms);
}

}  // namespace

std::int64_t unix_seconds(TimePoint now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

std::int64_t unix_millis(TimePoint now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

Desk::Desk(storage::Store& store, const FlowSet& flows, std::string flow_id, Send send,
           Random random, IdentityOf identity_of, core::RetentionConfig retention,
           cases::RateLimitSettings limits)
    : store_(store),
      flows_(flows),
      flow_id_(std::move(flow_id)),
      send_(std::move(send)),
      random_(std::move(random)),
      identity_of_(std::move(identity_of)),
      retention_(retention),
      limits_(limits),
      peers_(store),
      conversations_(store),
      cases_(store),
      timers_(store),
      staff_(store),
      audit_(store) {}

bool follows(const storage::StaffRow& member, const std::string& centre) {
  return std::find(member.centres.begin(), member.centres.end(), centre) != member.centres.end();
}

Result<void> Desk::cancel_deadlines(storage::CaseId id) {
  return timers_.cancel(cases::kDeadlineTimer, cases::case_timers_prefix(id));
}

Result<void> Desk::cancel_waits(storage::PeerId peer) {
  if (auto done = timers_.cancel(cases::kReminderTimer, cases::peer_timers_prefix(peer)); !done)
    return done;
  return timers_.cancel(cases::kTimeoutTimer, cases::peer_timers_prefix(peer));
}

bool Desk::take_erase_done() { return std::exchange(erase_done_, false); }

flows::ValidationContext Desk::context(const flows::Language& language, TimePoint now) const {
  return {language, flows::brussels_date(static_cast<double>(unix_millis(now)))};
}

std::vector<std::string> Desk::take_removed_addresses() {
  std::vector<std::string> taken;
  taken.swap(removed_addresses_);
  return taken;
}

std::optional<cases::Wording> Desk::wording_for(const flows::Session& intake) const {
  const flows::Flow* flow = flows_.library.find(intake.flow_id, intake.flow_version);
  if (flow == nullptr) flow = flows_.library.latest(intake.flow_id);
  if (flow == nullptr) return std::nullopt;
  return cases::Wording{*flow, flows_.catalog, *flows_.validators, flows_.desk};
}

Result<cases::Wording> Desk::wording_or_fail(const flows::Session& intake) const {
  auto wording = wording_for(intake);
  if (!wording) return storage::fail(storage::Errc::not_found, "the flow of a case's intake");
  return std::move(wording).value();
}

std::string Desk::status_text(cases::Status status, const flows::Language& language) const {
  return flows_.desk.text("status." + std::string(cases::to_string(status)), language);
}

Result<void> Desk::tell_staff(const TextFor& text_for,
                              const std::optional<std::string>& referents_of_centre,
                              const std::string& except_address) {
  auto members = staff_.all();
  if (!members) return std::move(members).error();
  for (const auto& member : members.value()) {
    if (member.state != storage::StaffState::active || member.address == except_address) continue;
    if (member.role == cases::Role::referent &&
        (!referents_of_centre || !follows(member, *referents_of_centre))) {
      continue;
    }
    const std::string text = text_for(member);
    if (text.empty()) continue;
    if (auto sent = to_staff(member.address, text); !sent) return sent;
  }
  return {};
}

Result<void> Desk::to_host(const std::string& address, const std::string& text) {
  return send_(address, text, storage::Audience::host);
}

Result<void> Desk::to_staff(const std::string& address, const std::string& text) {
  return send_(address, text, storage::Audience::staff);
}

Result<void> Desk::tell_coordinators(const TextFor& text_for, const std::string& except_address) {
  return tell_staff(
      [&](const storage::StaffRow& member) {
        return member.role == cases::Role::coordinator ? text_for(member) : std::string();
      },
      std::nullopt, except_address);
}

// --- Messages

Result<void> Desk::on_message(const std::string& address, std::string_view text, TimePoint now) {
  auto who = writer(address);
  if (!who) return std::move(who).error();
  const auto go = admitted(address, who->standing, who->language, now);
  if (!go) return std::move(go).error();
  if (!go.value()) return {};
  return take_message(address, std::move(who).value(), text, now);
}

Result<void> Desk::take_message(const std::string& address, Writer who, std::string_view text,
                                TimePoint now) {
  if (who.member) return on_staff_message(std::move(*who.member), text, now);
  auto peer = peers_.find_or_add(address, unix_seconds(now));
  if (!peer) return std::move(peer).error();
  const Host host{peer.value(), address};
  if (auto going = flows::going_on(flows_.library, who.saved))
    return talk(host, std::move(going), flows::Message{std::string(text)}, now);
  if (who.saved) {
    if (auto asked = forget_question_language(*who.saved))
      return answer_forget_question(host, *asked, text, now);
  }
  if (!who.filed.empty()) {
    if (who.language.empty()) who.language = flows_.catalog.languages.front();
    return follow_up(host, who.filed, who.language, text, now);
  }
  return talk(host, std::nullopt, flows::Message{std::string(text)}, now, who.language);
}

// The rate limits' verdict. A dropped message is answered "many messages right now, write again
// in a minute" once per sender per window (within a budget of its own), in their language or,
// for a stranger, in every language; the drops are counted in a log line now and then, without
// anyone's address. A failure: the answer could not be queued.
Result<bool> Desk::admitted(const std::string& address, cases::Standing standing,
                            const flows::Language& language, TimePoint now) {
  const auto admission = limits_.admit(address, standing, now);
  if (admission.admitted) return true;
  if (const auto counts = limits_.report(now, std::chrono::seconds(10))) {
    log::notice("rate limits: " + std::to_string(counts->dropped) +
                " message(s) dropped since the last report, " + std::to_string(counts->told) +
                " of their senders told to write again (" + std::to_string(counts->dropped_total) +
                " dropped, " + std::to_string(counts->told_total) + " told since start)");
  }
  if (!admission.tell_busy) return false;
  const std::string text = text_for_anyone("host.busy", language);
  if (text.empty()) return false;
  // To a member of staff it carries no case data: a notice.
  const auto audience =
      standing == cases::Standing::staff ? storage::Audience::notice : storage::Audience::host;
  if (auto sent = send_(address, text, audience); !sent) return std::move(sent).error();
  return false;
}

std::string Desk::text_for_anyone(const std::string& key, const flows::Language& language) const {
  if (flows_.desk.messages.count(key) == 0) return {};  // an older desk.json
  if (!language.empty()) return flows_.desk.text(key, language);
  std::string every;
  for (const auto& each : flows_.desk.languages) {
    const std::string line = flows_.desk.text(key, each);
    if (every.find(line) != std::string::npos) continue;
    every += (every.empty() ? "" : "\n") + line;
  }
  return every;
}

Result<Desk::Writer> Desk::writer(const std::string& address) {
  Writer who;
  auto member = staff_.find(address);
  if (!member) return std::move(member).error();
  if (member.value()) {
    who.standing = cases::Standing::staff;
    who.language = member.value()->language;
    who.member = std::move(member).value();
    return who;
  }
  // Who they are to the bot, read before anything is written for them: a conversation in
  // progress or a case keeps them a share of everyone's budget under a flood.
  auto peer = peers_.find(address);
  if (!peer) return std::move(peer).error();
  if (!peer.value()) return who;
  auto saved = conversations_.load(*peer.value());
  if (!saved) return std::move(saved).error();
  who.saved = std::move(saved).value();
  auto filed = cases_.of_host(*peer.value());
  if (!filed) return std::move(filed).error();
  who.filed = std::move(filed).value();
  // Before, this person wrote in language (if they wrote at all).
  if (who.saved) {
    if (auto session = flows::session_from_json(*who.saved)) {
      who.language = session->language;
    } else if (auto asked = forget_question_language(*who.saved)) {
      who.language = *asked;
    }
  }
  if (who.saved || !who.filed.empty()) who.standing = cases::Standing::known;
  return who;
}

Result<void> Desk::on_sessionless(const std::string& address, TimePoint now) {
  // Once per person in a while, and few in all: a stranger's forged messages cost a bundle
  // fetch each, and must not make the bot write to thousands.
  const auto verdict = sessionless_told_.ask(address, now);
  if (verdict == cases::OnceInAWhile::Verdict::too_many)
    log::notice("a message from someone without a session was not answered (too many at once)");
  if (verdict != cases::OnceInAWhile::Verdict::tell) return {};
  auto who = writer(address);
  if (!who) return std::move(who).error();
  const std::string text = text_for_anyone("host.unreadable", who->language);
  if (text.empty()) return {};
  const auto audience = who->member ? storage::Audience::notice : storage::Audience::host;
  if (auto sent = send_(address, text, audience); !sent) return sent;
  sessionless_told_.told(address, now);
  log::info("a message without a session was answered: write it again");
  return {};
}

Result<void> Desk::on_message(const std::string& address, std::string_view text,
                              core::MessageKind kind, TimePoint now) {
  if (kind == core::MessageKind::text) return on_message(address, text, now);
  auto who = writer(address);
  if (!who) return std::move(who).error();
  const auto go = admitted(address, who->standing, who->language, now);
  if (!go) return std::move(go).error();
  if (!go.value()) return {};
  // What to do instead first, so that the conversation's own next question comes last.
  if (auto answered = answer_kind(address, *who, kind, now); !answered) return answered;
  if (kind == core::MessageKind::edit || text.empty()) return {};
  return take_message(address, std::move(who).value(), text, now);
}

Result<void> Desk::answer_kind(const std::string& address, const Writer& who,
                               core::MessageKind kind, TimePoint now) {
  const std::string what(core::word_of(kind));
  const bool gesture = kind == core::MessageKind::reaction || kind == core::MessageKind::deletion;
  if (gesture && gestures_told_.ask(address, now) != cases::OnceInAWhile::Verdict::tell) {
    log::info("a message of kind " + what + " was not answered (told lately)");
    return {};
  }
  // A member of staff: only written commands are read. Everyone else: what to do instead.
  std::string key = who.member ? "staff.words_only" : "host.kind." + what;
  if (kind == core::MessageKind::view_once) key = "host.kind.picture";
  std::string answer = text_for_anyone(key, who.language);
  if (answer.empty()) answer = text_for_anyone("host.kind.unsupported", who.language);
  if (answer.empty()) {  // a desk.json without these texts
    log::warning("a message of kind " + what + " could not be answered: desk.json has no text");
    return {};
  }
  const auto audience = who.member ? storage::Audience::notice : storage::Audience::host;
  if (auto sent = send_(address, answer, audience); !sent) return sent;
  if (gesture) gestures_told_.told(address, now);
  log::info("a message of kind " + what + " was answered");
  return {};
}

// One step of the host's conversation, and everything it asks for.
Result<void> Desk::talk(const Host& host, std::optional<flows::Session> going,
                        const flows::Event& event, TimePoint now,
                        const flows::Language& known_language) {
  const auto reaction = flows::converse(*flows_.engine, flows_.library, flow_id_, std::move(going),
                                        event, now, known_language);
  if (reaction.state) {
    if (auto saved = conversations_.save(host.peer, *reaction.state, unix_seconds(now)); !saved)
      return saved;
  } else if (!reaction.forget) {
    return {};  // a timer of a conversation that is no longer going on: nothing changes
  } else {
    if (auto erased = conversations_.erase(host.peer); !erased) return erased;
    if (auto forgotten = forget_host(host, now); !forgotten) return forgotten;
  }
  if (reaction.cancel_timers || !reaction.state) {
    if (auto cancelled = cancel_waits(host.peer); !cancelled) return cancelled;
  }
  for (const auto& timer : reaction.timers) {
    const cases::ConversationWait wait{timer.kind, host.peer, timer.wait};
    if (auto set = schedule(timers_, wait, unix_millis(timer.due)); !set) return set;
  }

  const flows::Language language =
      reaction.state ? reaction.language : flows_.catalog.languages.front();
  std::map<std::string, std::string> provided;
  // Every centre's numbers: only for the replies that show them.
  if (std::any_of(reaction.replies.begin(), reaction.replies.end(), [](const std::string& reply) {
        return reply.find("{centre_phones}") != std::string::npos;
      })) {
    provided["centre_phones"] =
        cases::centre_phone_lines(flows_.validators->centres(), flows_.desk, language);
  }
  for (const auto& action : reaction.actions) {
    if (action.name != "create_case" || !reaction.state) {
      log::info("flow action " + action.name + " has no effect here");
      continue;
    }
    auto reference = file_case(host, *reaction.state, now);
    if (!reference) return std::move(reference).error();
    provided["case_reference"] = std::move(reference).value();
  }
  // Filed, the answers live in the case (sealed there, erased with it): the conversation keeps
  // only its language.
  if (provided.count("case_reference") != 0) {
    auto filed = flows::session_from_json(*reaction.state);
    if (filed && filed->state == flows::SessionState::finished) {
      auto saved = conversations_.save(
          host.peer, flows::to_json(cases::filed_remains(filed.value())), unix_seconds(now));
      if (!saved) return saved;
    }
  }
  for (const auto& reply : reaction.replies) {
    if (auto sent = to_host(host.address, flows::fill(reply, provided)); !sent) return sent;
  }
  // A request staff see, answer and close (host_line.cpp); the flow answered the host.
  if (reaction.human_requested) return open_help_request(host, language, true, now);
  return {};
}

// A filed intake becomes a case: linked to its look-alikes, its deadlines set, the staff told.
Result<std::string> Desk::file_case(const Host& host, const std::string& intake_json,
                                    TimePoint now) {
  auto intake = flows::session_from_json(intake_json);
  if (!intake) return unreadable("a filed intake");
  auto wording = wording_or_fail(intake.value());
  if (!wording) return std::move(wording).error();
  const cases::Facts facts = cases::facts_of(intake.value());
  const cases::MatchKeys keys = cases::match_keys(facts, flows_.folder);
  auto twins = cases_.matching(keys.sought);
  if (!twins) return std::move(twins).error();

  std::string reference;
  constexpr int kDraws = 16;
  for (int attempt = 0; attempt < kDraws && reference.empty(); ++attempt) {
    std::string candidate = cases::make_reference(random_());
    auto taken = cases_.reference_taken(candidate);
    if (!taken) return std::move(taken).error();
    if (!taken.value()) reference = std::move(candidate);
  }
  if (reference.empty())
    return storage::fail(storage::Errc::constraint, "no free case reference in 16 draws");

  const std::int64_t seconds = unix_seconds(now);
  auto id = cases_.add(
      {reference, host.peer, facts.centre, cases::Status::reported, intake_json, keys.kept},
      seconds);
  if (!id) return std::move(id).error();
  if (auto created = cases_.add_event(id.value(), seconds, "host", host.peer, "created",
                                      cases::Status::reported, {});
      !created) {
    return std::move(created).error();
  }
  cases::CaseFlags flags{facts.wants_lawyer,
                         facts.alias_only,
                         {},
                         facts.consent,
                         !cases::deadline_start(facts).has_value()};
  for (storage::CaseId twin : twins.value()) {
    auto other = cases_.get(twin);
    if (!other) return std::move(other).error();
    if (auto linked = cases_.link(id.value(), twin, seconds); !linked)
      return std::move(linked).error();
    if (auto event = cases_.add_event(id.value(), seconds, "bot", std::nullopt, "linked", {},
                                      other->reference);
        !event) {
      return std::move(event).error();
    }
    if (auto event = cases_.add_event(twin, seconds, "bot", std::nullopt, "linked", {}, reference);
        !event) {
      return std::move(event).error();
    }
    flags.duplicate_of.push_back(other->reference);
  }
  if (auto planned = plan_deadlines(id.value(), now); !planned) return std::move(planned).error();
  // Each referent of the centre gets what the person agreed to (nothing at all without it).
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  auto told = tell_staff(
      [&](const storage::StaffRow& member) {
        if (member.role == cases::Role::coordinator) {
          return cases::coordinator_notice(*wording, intake.value(), reference, flags,
                                           member.language);
        }
        return referent_alert_for(member, *wording, intake.value(), reference, facts.consent);
      },
      facts.centre);
  if (!told) return std::move(told).error();
  if (auto alone = tell_if_no_referent(reference, facts.centre); !alone)
    return std::move(alone).error();
  if (auto marked = queued_about(id.value(), mark.value()); !marked)
    return std::move(marked).error();
  log::info("a case was filed" + std::string(flags.duplicate_of.empty() ? "" : " and linked"));
  return reference;
}

std::string Desk::referent_alert_for(const storage::StaffRow& member, const cases::Wording& wording,
                                     const flows::Session& intake, const std::string& reference,
                                     cases::Consent consent) const {
  const cases::Facts facts = cases::facts_of(intake);
  switch (cases::view_of(member.role, member.centres, facts.centre, consent)) {
    case cases::View::visit:
      return cases::referent_alert(wording, cases::with_consent(intake, consent), reference,
                                   member.language);
    case cases::View::reduced:
      return cases::referent_alert_reduced(wording, intake, reference, member.language);
    case cases::View::full:
    case cases::View::none:
      break;
  }
  return {};
}

Result<cases::Consent> Desk::consent_now(storage::CaseId id, const cases::Facts& facts) {
  auto events = cases_.events(id);
  if (!events) return std::move(events).error();
  cases::Consent consent = facts.consent;
  for (const auto& event : events.value()) {
    if (event.kind == cases::kConsentEvent) consent = cases::parse_consent(event.detail);
  }
  return consent;
}

// After filing: news about the person, a status question, or anything else (the host is told
// what they can write).
Result<void> Desk::follow_up(const Host& host, const std::vector<storage::CaseId>& filed,
                             const flows::Language& language, std::string_view text,
                             TimePoint now) {
  // "Stop / forget me" after filing: asked first, as during a conversation.
  const std::string folded = flows::fold_words(flows_.folder, text);
  if (const auto command = flows_.catalog.command_words.find(folded);
      command != flows_.catalog.command_words.end() && command->second == flows::Command::stop) {
    auto saved = conversations_.save(host.peer, forget_question(language), unix_seconds(now));
    if (!saved) return saved;
    return to_host(host.address, flows_.catalog.text("stop_confirm", language));
  }
  // "Human" after filing: a request staff see, answer and close (host_line.cpp).
  if (const auto command = flows_.catalog.command_words.find(folded);
      command != flows_.catalog.command_words.end() && command->second == flows::Command::human) {
    return open_help_request(host, language, false, now);
  }
  const auto update = cases::read_update(text, flows_.desk, *flows_.validators, flows_.folder,
                                         context(language, now));
  if (update.kind == cases::UpdateKind::new_report)
    return talk(host, std::nullopt, flows::Message{std::string(text)}, now, language);

  // The case named by its reference, else the latest; never someone else's.
  storage::CaseId target = filed.front();
  if (const std::string named = cases::find_reference(text); !named.empty()) {
    auto found = cases_.by_reference(named);
    if (!found) return std::move(found).error();
    if (!found.value() || std::find(filed.begin(), filed.end(), *found.value()) == filed.end()) {
      return to_host(host.address, flows_.desk.text("host.no_case", language));
    }
    target = *found.value();
  }
  // A report merged into another case lives on in that one: its news goes there.
  auto into = merged_into(target);
  if (!into) return std::move(into).error();
  if (into.value()) {
    auto kept = cases_.by_reference(*into.value());
    if (!kept) return std::move(kept).error();
    if (kept.value()) target = *kept.value();
  }
  auto row = cases_.get(target);
  if (!row) return std::move(row).error();
  auto intake = flows::session_from_json(row->intake);
  if (!intake) return unreadable("a case's intake");
  const cases::Facts facts = cases::facts_of(intake.value());

  if (update.kind == cases::UpdateKind::status) {
    std::string lines;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < filed.size() && shown < kStatusLinesShown; ++i) {
      // A report merged into another is told as that one (which is among theirs too).
      auto merged = merged_into(filed[i]);
      if (!merged) return std::move(merged).error();
      if (merged.value()) continue;
      ++shown;
      auto each = cases_.get(filed[i]);
      if (!each) return std::move(each).error();
      auto each_intake = flows::session_from_json(each->intake);
      const std::string name =
          each_intake ? cases::first_name(cases::facts_of(each_intake.value())) : "";
      const auto date = flows::brussels_date(static_cast<double>(each->updated_at) * 1000.0);
      if (!lines.empty()) lines += '\n';
      lines += flows_.desk.text("host.status_line", language,
                                {{"reference", each->reference},
                                 {"name", name},
                                 {"status", status_text(each->status, language)},
                                 {"date", flows_.validators->display_date(date, language)}});
    }
    return to_host(host.address, lines);
  }
  // Anything else is for GVO: a note on the case, to the coordinators (host_line.cpp).
  if (update.kind == cases::UpdateKind::none)
    return host_note(host, row.value(), facts, text, language, now);

  // News: an event on the case, a status when it says one, and the staff told.
  const auto mark = outbox_mark();
  if (!mark) return std::move(mark).error();
  std::optional<cases::Status> new_status;
  switch (update.kind) {
    case cases::UpdateKind::released:
      new_status = cases::Status::released;
      break;
    case cases::UpdateKind::deported:
      new_status = cases::Status::deported;
      break;
    case cases::UpdateKind::transferred:
      new_status = cases::Status::transferred;
      break;
    default:
      break;
  }
  const std::int64_t seconds = unix_seconds(now);
  const std::string kind = "update." + std::string(cases::to_string(update.kind));
  if (auto event =
          cases_.add_event(target, seconds, "host", host.peer, kind, new_status, std::string(text));
      !event) {
    return event;
  }
  if (new_status) {
    if (auto set = cases_.set_status(target, *new_status, seconds); !set) return set;
    if (auto planned = plan_deadlines(target, now); !planned) return planned;
    // The case's other hosts (merged reports) hear of it too.
    if (auto told = tell_hosts_status(row.value(), *new_status, host.peer); !told) return told;
  }

  auto describe = [&](const flows::Language& in) {
    switch (update.kind) {
      case cases::UpdateKind::transferred: {
        const auto* centre = flows_.validators->centres().find(update.centre);
        return centre != nullptr
                   ? flows_.desk.text("update.transferred_to", in, {{"centre", centre->name}})
                   : flows_.desk.text("update.transferred", in);
      }
      case cases::UpdateKind::flight:
        return update.date
                   ? flows_.desk.text("update.flight_on", in,
                                      {{"date", flows_.validators->display_date(*update.date, in)}})
                   : flows_.desk.text("update.flight", in);
      default:
        return flows_.desk.text("update." + std::string(cases::to_string(update.kind)), in);
    }
  };
  const bool urgent = update.kind == cases::UpdateKind::flight;
  const std::string words(text);
  const auto consent = consent_now(target, facts);
  if (!consent) return std::move(consent).error();
  // A referent reads what the person agreed to: the host's own words only with their consent
  // (they may name them), the news alone while it is not recorded, nothing once refused.
  auto notice = [&](const storage::StaffRow& member) {
    const std::map<std::string, std::string> values = {
        {"reference", row->reference}, {"update", describe(member.language)}, {"words", words}};
    const cases::View view = member.role == cases::Role::coordinator
                                 ? cases::View::full
                                 : cases::referent_view(consent.value());
    switch (view) {
      case cases::View::full:
      case cases::View::visit:
        return flows_.desk.text(urgent ? "staff.host_update_urgent" : "staff.host_update",
                                member.language, values);
      case cases::View::reduced:
        return flows_.desk.text(
            urgent ? "staff.host_update_urgent_reduced" : "staff.host_update_reduced",
            member.language, values);
      case cases::View::none:
        break;
    }
    return std::string();
  };
  if (auto told = tell_staff(notice, facts.centre); !told) return told;
  if (update.kind == cases::UpdateKind::transferred && !update.centre.empty() &&
      update.centre != facts.centre) {
    // The referents of the centre they were moved to must know too (coordinators once is enough).
    auto moved = [&](const storage::StaffRow& member) {
      return member.role == cases::Role::referent && !follows(member, facts.centre) ? notice(member)
                                                                                    : std::string();
    };
    if (auto told = tell_staff(moved, update.centre); !told) return told;
    // Moving the case gives another centre's referents access: a coordinator confirms it.
    const std::string new_centre = update.centre;
    auto proposed = tell_coordinators([&](const storage::StaffRow& member) {
      return flows_.desk.text("staff.transfer_proposed", member.language,
                              {{"reference", row->reference},
                               {"centre", centre_name(new_centre)},
                               {"centre_id", new_centre}});
    });
    if (!proposed) return proposed;
  }
  if (auto marked = queued_about(target, mark.value()); !marked) return marked;
  log::info("a host sent news on a case (" + std::string(cases::to_string(update.kind)) + ")");
  return to_host(host.address,
                 flows_.desk.text(urgent ? "host.flight_noted" : "host.update_noted", language,
                                  {{"reference", row->reference}, {"update", describe(language)}}));
}

// While a host is asked whether to be forgotten, their saved conversation is this marker.
std::string Desk::forget_question(const flows::Language& language) {
  return std::string(kForgetMarker) + language;
}

std::optional<flows::Language> Desk::forget_question_language(const std::string& saved) {
  if (saved.rfind(kForgetMarker, 0) != 0) return std::nullopt;
  return saved.substr(std::string_view(kForgetMarker).size());
}

Result<std::string> Desk::host_references(storage::PeerId peer) {
  auto filed = cases_.of_host(peer);
  if (!filed) return std::move(filed).error();
  std::string references;
  for (storage::CaseId id : filed.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    references += (references.empty() ? "" : ", ") + row->reference;
  }
  return references;
}

Result<void> Desk::answer_forget_question(const Host& host, const flows::Language& language,
                                          std::string_view text, TimePoint now) {
  const auto said = flows_.validators->yes_no(text, context(language, now));
  const auto* answer = std::get_if<flows::Answer>(&said);
  if (answer != nullptr && answer->value == "yes") {
    // What stays is named: the reports on the detained person, without the host.
    auto listed = host_references(host.peer);
    if (!listed) return std::move(listed).error();
    const std::string& references = listed.value();
    const std::string answer_text =
        references.empty()
            ? flows_.catalog.text("stopped", language)
            : flows_.desk.text("host.forgotten_with_case", language, {{"references", references}});
    if (auto erased = conversations_.erase(host.peer); !erased) return erased;
    if (auto forgotten = forget_host(host, now); !forgotten) return forgotten;
    return to_host(host.address, answer_text);
  }
  // Anything else keeps them: their follow-up goes on as before.
  flows::Session kept;
  kept.flow_id = flow_id_;
  kept.language = language;
  kept.state = flows::SessionState::finished;
  if (auto saved = conversations_.save(host.peer, flows::to_json(kept), unix_seconds(now)); !saved)
    return saved;
  return to_host(host.address, flows_.catalog.text("stop_cancelled", language));
}

// "Stop / forget me": their conversation is gone; their cases stay, without them, and the
// coordinators are told.
Result<void> Desk::forget_host(const Host& host, TimePoint now) {
  auto filed = cases_.of_host(host.peer);
  if (!filed) return std::move(filed).error();
  const std::int64_t seconds = unix_seconds(now);
  for (storage::CaseId id : filed.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    if (!intake) return unreadable("a case's intake");
    auto others = cases_.links(id);
    if (!others) return std::move(others).error();
    const std::string without = flows::to_json(cases::without_host(intake.value()));
    if (auto done = cases_.forget_host(id, host.peer, without, seconds); !done) return done;
    if (auto done = cases_.add_event(id, seconds, "host", std::nullopt, "host_forgotten", {}, {});
        !done) {
      return done;
    }
    if (auto done = audit_.record(seconds, "host", std::nullopt, "host_forgotten", row->reference);
        !done) {
      return done;
    }
    // With no other report of the person, a coordinator decides whether the case goes too.
    const char* key = others->empty() ? "staff.host_forgotten_alone" : "staff.host_forgotten";
    const std::string reference = row->reference;
    auto told = tell_coordinators([&](const storage::StaffRow& member) {
      return flows_.desk.text(key, member.language, {{"reference", reference}});
    });
    if (!told) return told;
  }
  // The times of their messages go now; their address, sessions and identity key once the
  // answer to them has left (remove_unused_peers).
  if (auto dropped = outcome(storage::Outbox(store_).drop_for(host.peer)); !dropped) return dropped;
  if (auto dropped = outcome(storage::Inbox(store_).drop_for(host.peer)); !dropped) return dropped;
  if (auto forgotten = storage::forget_seen(store_, host.peer); !forgotten) return forgotten;
  if (auto forgotten = storage::HelpRequests(store_).forget(host.peer); !forgotten)
    return forgotten;
  auto later =
      schedule(timers_, cases::ForgetPeer{host.peer}, unix_millis(now) + kForgetPeerDelayMs);
  if (!later) return later;
  erase_done_ = true;
  return {};
}

Result<storage::Clearance> Desk::clear_to_send(const std::string& address,
                                               storage::Audience audience,
                                               const std::optional<storage::Bytes>& key,
                                               TimePoint now) {
  using storage::Clearance;
  auto member = staff_.find(address);
  if (!member) return std::move(member).error();
  if (!member.value()) {
    // Never staff, or not any more (removed): case data for staff does not go to them.
    return audience == storage::Audience::staff ? Clearance::drop : Clearance::send;
  }
  if (audience == storage::Audience::notice) return Clearance::send;
  // Anything else to a member, whatever queued it (even a reply from before they were staff).
  const storage::StaffRow& standing = *member.value();
  if (standing.state != storage::StaffState::active || standing.pinned_key.empty())
    return Clearance::drop;
  if (!key) return Clearance::wait;
  if (*key == standing.pinned_key) return Clearance::send;
  if (auto suspended = on_identity_changed(address, now); !suspended)
    return std::move(suspended).error();
  return Clearance::drop;
}

Result<void> Desk::on_identity_changed(const std::string& address, TimePoint now) {
  auto member = staff_.find(address);
  if (!member) return std::move(member).error();
  if (!member.value()) return {};  // a host: trust on first use, and on change
  const storage::StaffRow& changed = *member.value();
  if (changed.state == storage::StaffState::suspended) return {};
  const std::int64_t seconds = unix_seconds(now);
  // Nothing queued for them leaves any more (but notices without case data).
  auto dropped = staff_.suspend(changed.id, seconds);
  if (!dropped) return std::move(dropped).error();
  if (auto recorded =
          audit_.record(seconds, "bot", std::nullopt, "staff_suspended", changed.address);
      !recorded) {
    return recorded;
  }
  if (dropped.value() > 0) {
    log::notice(std::to_string(dropped.value()) +
                " message(s) queued for the suspended member were dropped unsent");
  }
  log::warning("a staff member's identity key changed: their role is suspended");
  return tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text(
            "staff.identity_changed", other.language,
            {{"address", changed.address},
             {"role", std::string(storage::to_string(changed.role))},
             {"fingerprint", flows_.desk.text("staff.fingerprint_later", other.language)}});
      },
      changed.address);
}

Result<void> Desk::start(TimePoint now) {
  const auto daily = cases::encode(cases::DailyPurge{});
  auto set = timers_.exists(daily.kind, daily.subject);
  if (!set) return std::move(set).error();
  if (!set.value()) {
    if (auto purge_set =
            schedule(timers_, cases::DailyPurge{}, unix_millis(now) + kFirstPurgeDelayMs);
        !purge_set) {
      return purge_set;
    }
  }
  if (!daily_digest_) return {};
  const auto digest = cases::encode(cases::DailyDigest{});
  auto digest_set = timers_.exists(digest.kind, digest.subject);
  if (!digest_set) return std::move(digest_set).error();
  if (digest_set.value()) return {};
  return plan_digest(now);
}

Result<void> Desk::purge(TimePoint now) {
  const std::int64_t seconds = unix_seconds(now);
  const auto month_of = [](std::int64_t at) {
    const auto date = flows::brussels_date(static_cast<double>(at) * 1000.0);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02d", date.year, date.month);
    return std::string(text);
  };
  auto idle = conversations_.idle_without_case(seconds -
                                               std::int64_t{retention_.conversation_days} * 86400);
  if (!idle) return std::move(idle).error();
  for (storage::PeerId peer : idle.value()) {
    if (auto erased = conversations_.erase(peer); !erased) return erased;
    if (auto cancelled = cancel_waits(peer); !cancelled) return cancelled;
    if (auto counted = cases_.count_purged(month_of(seconds), "-", kConversationCount); !counted)
      return counted;
  }
  const std::vector<cases::Status> closed = {cases::Status::released, cases::Status::deported,
                                             cases::Status::closed};
  auto old = cases_.idle_in(closed, seconds - std::int64_t{retention_.closed_case_days} * 86400);
  if (!old) return std::move(old).error();
  for (storage::CaseId id : old.value()) {
    auto row = cases_.get(id);
    if (!row) return std::move(row).error();
    auto intake = flows::session_from_json(row->intake);
    const std::string centre = intake ? cases::facts_of(intake.value()).centre : std::string();
    if (auto counted = cases_.count_purged(month_of(row->created_at), centre.empty() ? "-" : centre,
                                           std::string(cases::to_string(row->status)));
        !counted) {
      return counted;
    }
    if (auto erased = erase_everywhere(row.value()); !erased) return erased;
  }
  // Minimal metadata: who wrote when is kept for the redelivery window only, and a person the
  // bot holds nothing for any more is not kept at all.
  const std::int64_t seen_before = seconds - std::int64_t{retention_.seen_days} * 86400;
  auto seen = storage::forget_seen_before(store_, seen_before);
  if (!seen) return std::move(seen).error();
  auto peers = remove_unused_peers(seen_before, std::nullopt);
  if (!peers) return std::move(peers).error();
  if (!idle->empty() || !old->empty() || seen.value() > 0 || peers.value() > 0) {
    erase_done_ = true;
    log::info("retention purged " + std::to_string(idle->size()) + " conversation(s), " +
              std::to_string(old->size()) + " case(s), " + std::to_string(peers.value()) +
              " unused address(es) and " + std::to_string(seen.value()) + " old timestamp(s)");
  }
  return {};
}

Result<void> Desk::erase_everywhere(const storage::CaseRow& row) {
  if (auto done = audit_.forget(row.reference); !done) return done;
  if (auto done = outcome(cases_.forget_mentions(row.reference)); !done) return done;
  if (auto done = cases_.erase(row.id); !done) return done;
  if (auto done = cancel_deadlines(row.id); !done) return done;
  // A conversation filed before its answers moved out still holds them (older versions).
  if (row.host) {
    auto saved = conversations_.load(*row.host);
    if (!saved) return std::move(saved).error();
    if (saved.value()) {
      auto session = flows::session_from_json(*saved.value());
      if (session && session->state == flows::SessionState::finished) {
        auto kept = conversations_.save(
            *row.host, flows::to_json(cases::filed_remains(session.value())), row.updated_at);
        if (!kept) return kept;
      }
    }
  }
  erase_done_ = true;
  return {};
}

Result<int> Desk::remove_unused_peers(std::int64_t created_before,
                                      std::optional<storage::PeerId> only) {
  auto unused = peers_.unused(created_before);
  if (!unused) return std::move(unused).error();
  int removed = 0;
  for (storage::PeerId peer : unused.value()) {
    if (only && peer != *only) continue;
    auto address = peers_.address(peer);
    if (!address) return std::move(address).error();
    auto member = staff_.find(address.value());
    if (!member) return std::move(member).error();
    if (member.value()) continue;  // staff keep their address and keys
    // Its timers go with it (a peer id is reused once its row is gone).
    if (auto done = cancel_waits(peer); !done) return std::move(done).error();
    if (auto done = timers_.cancel(cases::kForgetPeerTimer, cases::peer_timers_prefix(peer)); !done)
      return std::move(done).error();
    if (auto done = peers_.remove(peer); !done) return std::move(done).error();
    removed_addresses_.push_back(std::move(address).value());
    ++removed;
  }
  if (removed > 0) erase_done_ = true;  // their rows leave the WAL too
  return removed;
}

// --- Timers

Result<std::optional<std::int64_t>> Desk::next_timer_ms() { return timers_.next_due(); }

Result<void> Desk::on_due_timers(TimePoint now) {
  removed_addresses_.clear();
  auto due = timers_.due(unix_millis(now), kTimersPerRun);
  if (!due) return std::move(due).error();
  for (const auto& timer : due.value()) {
    if (auto removed = timers_.remove(timer.id); !removed) return removed;
    if (auto ran = run_timer(timer, now); !ran) return ran;
  }
  return {};
}

Result<void> Desk::run_timer(const storage::TimerRow& timer, TimePoint now) {
  auto payload = cases::decode(timer.kind, timer.subject);
  if (!payload) {
    // Written by another version, or damaged: it cannot run, and must not stop the others.
    ++timers_dropped_;
    log::warning("a timer was dropped: " + payload.error().detail +
                 (payload.code() == cases::TimerErrc::unknown_kind ? "" : " that does not read") +
                 " (" + std::to_string(timers_dropped_) + " since start)");
    return {};
  }
  if (const auto* wait = std::get_if<cases::ConversationWait>(&payload.value()))
    return conversation_wait(*wait, now);
  if (std::holds_alternative<cases::DailyPurge>(payload.value())) {
    if (auto purged = purge(now); !purged) return purged;
    return schedule(timers_, cases::DailyPurge{}, unix_millis(now) + kDayMs);
  }
  if (const auto* forget = std::get_if<cases::ForgetPeer>(&payload.value()))
    return forget_peer_later(forget->peer, now);
  if (std::holds_alternative<cases::StaffNews>(payload.value()))
    return tell_staff_news(timer.due_at_ms, now);
  if (std::holds_alternative<cases::DailyDigest>(payload.value())) {
    if (!daily_digest_) return {};  // turned off: not sent, not set again
    return daily_digest(now);
  }
  const auto& alert = std::get<cases::DeadlineAlert>(payload.value());
  return deadline_alert(alert.case_id, alert.days, now);
}

Result<void> Desk::conversation_wait(const cases::ConversationWait& wait, TimePoint now) {
  auto address = peers_.address(wait.peer);
  if (!address) {
    // The person was forgotten meanwhile.
    if (address.code() == storage::Errc::not_found) return {};
    return std::move(address).error();
  }
  auto saved = conversations_.load(wait.peer);
  if (!saved) return std::move(saved).error();
  return talk({wait.peer, address.value()}, flows::going_on(flows_.library, saved.value()),
              flows::TimerFired{wait.kind, wait.wait}, now);
}

Result<void> Desk::forget_peer_later(storage::PeerId peer, TimePoint now) {
  const auto removed = remove_unused_peers(unix_seconds(now) + 1, peer);
  if (!removed) return std::move(removed).error();
  if (removed.value() > 0) return {};
  // Not yet gone: the answer to them is still waiting to leave (then the timer waits with it),
  // or they wrote again (then they are someone the bot talks with, and it stops).
  auto waiting = storage::Outbox(store_).more_after(peer, 0);
  if (!waiting) return std::move(waiting).error();
  auto saved = conversations_.load(peer);
  if (!saved) return std::move(saved).error();
  if (!waiting.value() || saved.value()) return {};
  return schedule(timers_, cases::ForgetPeer{peer}, unix_millis(now) + kForgetPeerDelayMs);
}

Result<std::int64_t> Desk::outbox_mark() { return storage::Outbox(store_).last_id(); }

Result<void> Desk::queued_about(storage::CaseId id, std::int64_t mark) {
  return storage::Outbox(store_).mark_about_case(mark, id);
}

}  // namespace gvo::desk
