#include "bot/desk/desk.hpp"

#include <algorithm>
#include <cstdio>

#include "bot/cases/deadlines.hpp"
#include "bot/cases/matching.hpp"
#include "bot/cases/updates.hpp"
#include "bot/desk/stats.hpp"
#include "bot/log/log.hpp"
#include "flows/conversation.hpp"
#include "storage/inbox.hpp"

namespace gvo::desk {
namespace {

namespace log = gvo::log;

constexpr char kReminder[] = "flow.reminder";
constexpr char kTimeout[] = "flow.timeout";
constexpr char kDeadline[] = "deadline";
// Not JSON: no session reads as one (flows::session_from_json refuses it).
constexpr char kForgetMarker[] = "forget?";
constexpr char kPurge[] = "purge";
constexpr char kDaily[] = "daily";
// A forgotten host's address and keys go once the answer to them has left.
constexpr char kForgetPeer[] = "forget.peer";
constexpr std::int64_t kForgetPeerDelayMs = 10 * 60 * 1000;
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::int64_t kFirstPurgeDelayMs = 60 * 1000;
constexpr int kTimersPerRun = 100;
constexpr std::size_t kStatusLinesShown = 5;

std::string peer_subject(storage::PeerId peer) { return "peer " + std::to_string(peer) + " "; }

std::string first_name_of(const cases::Facts& facts) {
  if (!facts.names.empty()) return facts.names.front();
  if (!facts.aliases.empty()) return facts.aliases.front();
  return {};
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

bool Desk::cancel_deadlines(storage::CaseId id) {
  return timers_.cancel(kDeadline, "case " + std::to_string(id) + " ").ok();
}

cases::Role role_of(const storage::StaffRow& member) {
  return member.role == "coordinator" ? cases::Role::coordinator : cases::Role::referent;
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

bool Desk::tell_staff(const TextFor& text_for,
                      const std::optional<std::string>& referents_of_centre,
                      const std::string& except_address) {
  auto members = staff_.all();
  if (!members) return false;
  for (const auto& member : members.value()) {
    if (member.state != "active" || member.address == except_address) continue;
    if (role_of(member) == cases::Role::referent &&
        (!referents_of_centre || !follows(member, *referents_of_centre))) {
      continue;
    }
    const std::string text = text_for(member);
    if (!text.empty() && !to_staff(member.address, text)) return false;
  }
  return true;
}

bool Desk::to_host(const std::string& address, const std::string& text) {
  return send_(address, text, storage::Audience::host);
}

bool Desk::to_staff(const std::string& address, const std::string& text) {
  return send_(address, text, storage::Audience::staff);
}

bool Desk::tell_coordinators(const TextFor& text_for, const std::string& except_address) {
  return tell_staff(
      [&](const storage::StaffRow& member) {
        return role_of(member) == cases::Role::coordinator ? text_for(member) : std::string();
      },
      std::nullopt, except_address);
}

// --- Messages

bool Desk::on_message(const std::string& address, std::string_view text, TimePoint now) {
  auto member = staff_.find(address);
  if (!member) return false;
  if (member.value()) {
    const auto go = admitted(address, cases::Standing::staff, member.value()->language, now);
    if (!go || !*go) return go.has_value();
    return on_staff_message(std::move(*member.value()), text, now);
  }
  // Who they are to the bot, read before anything is written for them: a conversation in
  // progress or a case keeps them a share of everyone's budget under a flood.
  auto known = peers_.find(address);
  if (!known) return false;
  std::optional<std::string> saved;
  std::vector<storage::CaseId> filed;
  if (known.value()) {
    auto loaded = conversations_.load(*known.value());
    if (!loaded) return false;
    saved = std::move(loaded).value();
    auto of_host = cases_.of_host(*known.value());
    if (!of_host) return false;
    filed = std::move(of_host).value();
  }
  // Before, this person wrote in language (if they wrote at all).
  flows::Language language;
  if (saved) {
    if (auto session = flows::session_from_json(*saved); session) {
      language = session->language;
    } else if (auto asked = forget_question_language(*saved)) {
      language = *asked;
    }
  }
  const auto standing =
      saved || !filed.empty() ? cases::Standing::known : cases::Standing::stranger;
  const auto go = admitted(address, standing, language, now);
  if (!go || !*go) return go.has_value();

  auto peer = peers_.find_or_add(address, unix_seconds(now));
  if (!peer) return false;
  const Host host{peer.value(), address};
  if (auto going = flows::going_on(flows_.library, saved))
    return talk(host, std::move(going), flows::Message{std::string(text)}, now);
  if (saved) {
    if (auto asked = forget_question_language(*saved))
      return answer_forget_question(host, *asked, text, now);
  }
  if (!filed.empty()) {
    if (language.empty()) language = flows_.catalog.languages.front();
    return follow_up(host, filed, language, text, now);
  }
  return talk(host, std::nullopt, flows::Message{std::string(text)}, now, language);
}

// The rate limits' verdict. A dropped message is answered "many messages right now, write again
// in a minute" once per sender per window (within a budget of its own), in their language or,
// for a stranger, in every language; the drops are counted in a log line now and then, without
// anyone's address. Nothing: the answer could not be queued.
std::optional<bool> Desk::admitted(const std::string& address, cases::Standing standing,
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
  if (!send_(address, text, audience)) return std::nullopt;
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

bool Desk::on_sessionless(const std::string& address, TimePoint now) {
  // Once per person in a while, and few in all: a stranger's forged messages cost a bundle
  // fetch each, and must not make the bot write to thousands.
  constexpr auto kAgain = std::chrono::minutes(10);
  constexpr std::size_t kMostRemembered = 1000;
  constexpr int kMostPerMinute = 30;
  if (now - sessionless_window_ >= std::chrono::minutes(1)) {
    sessionless_window_ = now;
    sessionless_in_window_ = 0;
  }
  const auto told = sessionless_told_.find(address);
  if (told != sessionless_told_.end() && now - told->second < kAgain) return true;
  if (sessionless_in_window_ >= kMostPerMinute) {
    log::notice("a message from someone without a session was not answered (too many at once)");
    return true;
  }
  if (sessionless_told_.size() >= kMostRemembered) {
    for (auto it = sessionless_told_.begin(); it != sessionless_told_.end();)
      it = now - it->second >= kAgain ? sessionless_told_.erase(it) : std::next(it);
    if (sessionless_told_.size() >= kMostRemembered) return true;
  }
  // Their language, if the bot still talks with them.
  flows::Language language;
  auto member = staff_.find(address);
  if (!member) return false;
  if (member.value()) {
    language = member.value()->language;
  } else if (auto peer = peers_.find(address); peer && peer.value()) {
    auto saved = conversations_.load(*peer.value());
    if (!saved) return false;
    if (saved.value()) {
      if (auto session = flows::session_from_json(*saved.value())) language = session->language;
    }
  }
  const std::string text = text_for_anyone("host.unreadable", language);
  if (text.empty()) return true;
  const auto audience = member.value() ? storage::Audience::notice : storage::Audience::host;
  if (!send_(address, text, audience)) return false;
  sessionless_told_[address] = now;
  ++sessionless_in_window_;
  log::info("a message without a session was answered: write it again");
  return true;
}

// One step of the host's conversation, and everything it asks for.
bool Desk::talk(const Host& host, std::optional<flows::Session> going, const flows::Event& event,
                TimePoint now, const flows::Language& known_language) {
  const auto reaction = flows::converse(*flows_.engine, flows_.library, flow_id_, std::move(going),
                                        event, now, known_language);
  if (reaction.state) {
    if (!conversations_.save(host.peer, *reaction.state, unix_seconds(now))) return false;
  } else if (!reaction.forget) {
    return true;  // a timer of a conversation that is no longer going on: nothing changes
  } else if (!conversations_.erase(host.peer) || !forget_host(host, now)) {
    return false;
  }
  if (reaction.cancel_timers || !reaction.state) {
    if (!timers_.cancel(kReminder, peer_subject(host.peer)) ||
        !timers_.cancel(kTimeout, peer_subject(host.peer))) {
      return false;
    }
  }
  for (const auto& timer : reaction.timers) {
    const char* kind = timer.kind == flows::TimerKind::reminder ? kReminder : kTimeout;
    const std::string subject = peer_subject(host.peer) + "wait " + std::to_string(timer.wait);
    if (!timers_.schedule(kind, subject, unix_millis(timer.due))) return false;
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
    if (!reference) return false;
    provided["case_reference"] = *reference;
  }
  // Filed, the answers live in the case (sealed there, erased with it): the conversation keeps
  // only its language.
  if (provided.count("case_reference") != 0) {
    auto filed = flows::session_from_json(*reaction.state);
    if (filed && filed->state == flows::SessionState::finished &&
        !conversations_.save(host.peer, flows::to_json(cases::filed_remains(filed.value())),
                             unix_seconds(now))) {
      return false;
    }
  }
  for (const auto& reply : reaction.replies) {
    if (!to_host(host.address, flows::fill(reply, provided))) return false;
  }
  if (reaction.human_requested) {
    auto filed = cases_.of_host(host.peer);
    if (!filed) return false;
    std::string references;
    for (auto id : filed.value()) {
      auto row = cases_.get(id);
      if (row) references += (references.empty() ? "" : ", ") + row->reference;
    }
    const bool told = tell_coordinators([&](const storage::StaffRow& member) {
      return flows_.desk.text(
          "staff.human", member.language,
          {{"address", host.address}, {"references", references.empty() ? "-" : references}});
    });
    if (!told) return false;
  }
  return true;
}

// A filed intake becomes a case: linked to its look-alikes, its deadlines set, the staff told.
std::optional<std::string> Desk::file_case(const Host& host, const std::string& intake_json,
                                           TimePoint now) {
  auto intake = flows::session_from_json(intake_json);
  if (!intake) return std::nullopt;
  const auto wording = wording_for(intake.value());
  if (!wording) return std::nullopt;
  const cases::Facts facts = cases::facts_of(intake.value());
  const cases::MatchKeys keys = cases::match_keys(facts, flows_.folder);
  auto twins = cases_.matching(keys.sought);
  if (!twins) return std::nullopt;

  std::string reference;
  for (int attempt = 0; attempt < 16 && reference.empty(); ++attempt) {
    std::string candidate = cases::make_reference(random_());
    auto taken = cases_.reference_taken(candidate);
    if (!taken) return std::nullopt;
    if (!taken.value()) reference = std::move(candidate);
  }
  if (reference.empty()) return std::nullopt;

  const std::int64_t seconds = unix_seconds(now);
  auto id =
      cases_.add({reference, host.peer, facts.centre,
                  std::string(cases::to_string(cases::Status::reported)), intake_json, keys.kept},
                 seconds);
  if (!id || !cases_.add_event(id.value(), seconds, "host", host.peer, "created",
                               std::string(cases::to_string(cases::Status::reported)), {})) {
    return std::nullopt;
  }
  cases::CaseFlags flags{facts.wants_lawyer, facts.alias_only, {}, facts.consent};
  for (storage::CaseId twin : twins.value()) {
    auto other = cases_.get(twin);
    if (!other || !cases_.link(id.value(), twin, seconds) ||
        !cases_.add_event(id.value(), seconds, "bot", std::nullopt, "linked", {},
                          other->reference) ||
        !cases_.add_event(twin, seconds, "bot", std::nullopt, "linked", {}, reference)) {
      return std::nullopt;
    }
    flags.duplicate_of.push_back(other->reference);
  }
  if (facts.arrest_date) {
    const long today = flows::days_from_civil(context(intake->language, now).today);
    for (const auto& deadline : cases::deadlines_from(*facts.arrest_date)) {
      if (flows::days_from_civil(deadline.due) < today) continue;  // already past
      const std::string subject =
          "case " + std::to_string(id.value()) + " day " + std::to_string(deadline.days);
      if (!timers_.schedule(kDeadline, subject, std::max(deadline.alert_at_ms, unix_millis(now))))
        return std::nullopt;
    }
  }
  // Each referent of the centre gets what the person agreed to (nothing at all without it).
  const auto mark = outbox_mark();
  const bool told = tell_staff(
      [&](const storage::StaffRow& member) {
        if (role_of(member) == cases::Role::coordinator) {
          return cases::coordinator_notice(*wording, intake.value(), reference, flags,
                                           member.language);
        }
        return referent_alert_for(member, *wording, intake.value(), reference, facts.consent);
      },
      facts.centre);
  if (!told || !queued_about(id.value(), mark)) return std::nullopt;
  log::info("a case was filed" + std::string(flags.duplicate_of.empty() ? "" : " and linked"));
  return reference;
}

std::string Desk::referent_alert_for(const storage::StaffRow& member, const cases::Wording& wording,
                                     const flows::Session& intake, const std::string& reference,
                                     cases::Consent consent) const {
  const cases::Facts facts = cases::facts_of(intake);
  switch (cases::view_of(role_of(member), member.centres, facts.centre, consent)) {
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

std::optional<cases::Consent> Desk::consent_now(storage::CaseId id, const cases::Facts& facts) {
  auto events = cases_.events(id);
  if (!events) return std::nullopt;
  cases::Consent consent = facts.consent;
  for (const auto& event : events.value()) {
    if (event.kind == cases::kConsentEvent) consent = cases::parse_consent(event.detail);
  }
  return consent;
}

// After filing: news about the person, a status question, or anything else (the host is told
// what they can write).
bool Desk::follow_up(const Host& host, const std::vector<storage::CaseId>& filed,
                     const flows::Language& language, std::string_view text, TimePoint now) {
  // "Stop / forget me" after filing: asked first, as during a conversation.
  const std::string folded = flows::fold_words(flows_.folder, text);
  if (const auto command = flows_.catalog.command_words.find(folded);
      command != flows_.catalog.command_words.end() && command->second == flows::Command::stop) {
    return conversations_.save(host.peer, forget_question(language), unix_seconds(now)).ok() &&
           to_host(host.address, flows_.catalog.text("stop_confirm", language));
  }
  const auto update = cases::read_update(text, flows_.desk, *flows_.validators, flows_.folder,
                                         context(language, now));
  if (update.kind == cases::UpdateKind::new_report)
    return talk(host, std::nullopt, flows::Message{std::string(text)}, now, language);

  // The case named by its reference, else the latest; never someone else's.
  storage::CaseId target = filed.front();
  if (const std::string named = cases::find_reference(text); !named.empty()) {
    auto found = cases_.by_reference(named);
    if (!found) return false;
    if (!found.value() || std::find(filed.begin(), filed.end(), *found.value()) == filed.end()) {
      return to_host(host.address, flows_.desk.text("host.no_case", language));
    }
    target = *found.value();
  }
  auto row = cases_.get(target);
  if (!row) return false;
  auto intake = flows::session_from_json(row->intake);
  if (!intake) return false;
  const cases::Facts facts = cases::facts_of(intake.value());

  if (update.kind == cases::UpdateKind::status) {
    std::string lines;
    for (std::size_t i = 0; i < filed.size() && i < kStatusLinesShown; ++i) {
      auto each = cases_.get(filed[i]);
      if (!each) return false;
      auto each_intake = flows::session_from_json(each->intake);
      const std::string name =
          each_intake ? first_name_of(cases::facts_of(each_intake.value())) : "";
      const auto date = flows::brussels_date(static_cast<double>(each->updated_at) * 1000.0);
      if (!lines.empty()) lines += '\n';
      lines += flows_.desk.text("host.status_line", language,
                                {{"reference", each->reference},
                                 {"name", name},
                                 {"status", flows_.desk.text("status." + each->status, language)},
                                 {"date", flows_.validators->display_date(date, language)}});
    }
    return to_host(host.address, lines);
  }
  if (update.kind == cases::UpdateKind::none) {
    return to_host(host.address,
                   flows_.desk.text("host.follow_up", language, {{"reference", row->reference}}));
  }

  // News: an event on the case, a status when it says one, and the staff told.
  const auto mark = outbox_mark();
  std::string new_status;
  switch (update.kind) {
    case cases::UpdateKind::released:
      new_status = cases::to_string(cases::Status::released);
      break;
    case cases::UpdateKind::deported:
      new_status = cases::to_string(cases::Status::deported);
      break;
    case cases::UpdateKind::transferred:
      new_status = cases::to_string(cases::Status::transferred);
      break;
    default:
      break;
  }
  const std::int64_t seconds = unix_seconds(now);
  const std::string kind = "update." + std::string(cases::to_string(update.kind));
  if (!cases_.add_event(target, seconds, "host", host.peer, kind, new_status, std::string(text)))
    return false;
  if (!new_status.empty() && !cases_.set_status(target, new_status, seconds)) return false;

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
  if (!consent) return false;
  // A referent reads what the person agreed to: the host's own words only with their consent
  // (they may name them), the news alone while it is not recorded, nothing once refused.
  auto notice = [&](const storage::StaffRow& member) {
    const std::map<std::string, std::string> values = {
        {"reference", row->reference}, {"update", describe(member.language)}, {"words", words}};
    const cases::View view = role_of(member) == cases::Role::coordinator
                                 ? cases::View::full
                                 : cases::referent_view(*consent);
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
  if (!tell_staff(notice, facts.centre)) return false;
  if (update.kind == cases::UpdateKind::transferred && !update.centre.empty() &&
      update.centre != facts.centre) {
    // The referents of the centre they were moved to must know too (coordinators once is enough).
    auto moved = [&](const storage::StaffRow& member) {
      return role_of(member) == cases::Role::referent && !follows(member, facts.centre)
                 ? notice(member)
                 : std::string();
    };
    if (!tell_staff(moved, update.centre)) return false;
  }
  if (!queued_about(target, mark)) return false;
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

bool Desk::answer_forget_question(const Host& host, const flows::Language& language,
                                  std::string_view text, TimePoint now) {
  const auto said = flows_.validators->yes_no(text, context(language, now));
  const auto* answer = std::get_if<flows::Answer>(&said);
  if (answer != nullptr && answer->value == "yes") {
    // What stays is named: the reports on the detained person, without the host.
    auto filed = cases_.of_host(host.peer);
    if (!filed) return false;
    std::string references;
    for (storage::CaseId id : filed.value()) {
      auto row = cases_.get(id);
      if (!row) return false;
      references += (references.empty() ? "" : ", ") + row->reference;
    }
    const std::string answer_text =
        references.empty()
            ? flows_.catalog.text("stopped", language)
            : flows_.desk.text("host.forgotten_with_case", language, {{"references", references}});
    return conversations_.erase(host.peer).ok() && forget_host(host, now) &&
           to_host(host.address, answer_text);
  }
  // Anything else keeps them: their follow-up goes on as before.
  flows::Session kept;
  kept.flow_id = flow_id_;
  kept.language = language;
  kept.state = flows::SessionState::finished;
  return conversations_.save(host.peer, flows::to_json(kept), unix_seconds(now)).ok() &&
         to_host(host.address, flows_.catalog.text("stop_cancelled", language));
}

// "Stop / forget me": their conversation is gone; their cases stay, without them, and the
// coordinators are told.
bool Desk::forget_host(const Host& host, TimePoint now) {
  auto filed = cases_.of_host(host.peer);
  if (!filed) return false;
  const std::int64_t seconds = unix_seconds(now);
  for (storage::CaseId id : filed.value()) {
    auto row = cases_.get(id);
    if (!row) return false;
    auto intake = flows::session_from_json(row->intake);
    if (!intake) return false;
    auto others = cases_.links(id);
    if (!others ||
        !cases_.forget_host(id, host.peer, flows::to_json(cases::without_host(intake.value())),
                            seconds) ||
        !cases_.add_event(id, seconds, "host", std::nullopt, "host_forgotten", {}, {}) ||
        !audit_.record(seconds, "host", std::nullopt, "host_forgotten", row->reference)) {
      return false;
    }
    // With no other report of the person, a coordinator decides whether the case goes too.
    const char* key = others->empty() ? "staff.host_forgotten_alone" : "staff.host_forgotten";
    const std::string reference = row->reference;
    if (!tell_coordinators([&](const storage::StaffRow& member) {
          return flows_.desk.text(key, member.language, {{"reference", reference}});
        })) {
      return false;
    }
  }
  // The times of their messages go now; their address, sessions and identity key once the
  // answer to them has left (remove_unused_peers).
  if (!storage::Outbox(store_).drop_for(host.peer) || !storage::Inbox(store_).drop_for(host.peer) ||
      !storage::forget_seen(store_, host.peer) ||
      !timers_.schedule(kForgetPeer, peer_subject(host.peer),
                        unix_millis(now) + kForgetPeerDelayMs))
    return false;
  erase_done_ = true;
  return true;
}

storage::Result<storage::Clearance> Desk::clear_to_send(const std::string& address,
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
  if (standing.state != "active" || standing.pinned_key.empty()) return Clearance::drop;
  if (!key) return Clearance::wait;
  if (*key == standing.pinned_key) return Clearance::send;
  if (!on_identity_changed(address, now))
    return storage::fail(storage::Errc::sql_failed, "suspending a member whose key changed");
  return Clearance::drop;
}

bool Desk::on_identity_changed(const std::string& address, TimePoint now) {
  auto member = staff_.find(address);
  if (!member) return false;
  if (!member.value()) return true;  // a host: trust on first use, and on change
  const storage::StaffRow& changed = *member.value();
  if (changed.state == "suspended") return true;
  const std::int64_t seconds = unix_seconds(now);
  // Nothing queued for them leaves any more (but notices without case data).
  auto dropped = staff_.suspend(changed.id, seconds);
  if (!dropped ||
      !audit_.record(seconds, "bot", std::nullopt, "staff_suspended", changed.address)) {
    return false;
  }
  if (dropped.value() > 0) {
    log::notice(std::to_string(dropped.value()) +
                " message(s) queued for the suspended member were dropped unsent");
  }
  log::warning("a staff member's identity key changed: their role is suspended");
  const bool told = tell_coordinators(
      [&](const storage::StaffRow& other) {
        return flows_.desk.text(
            "staff.identity_changed", other.language,
            {{"address", changed.address},
             {"role", changed.role},
             {"fingerprint", flows_.desk.text("staff.fingerprint_later", other.language)}});
      },
      changed.address);
  return told;
}

bool Desk::start(TimePoint now) {
  auto set = timers_.exists(kPurge, kDaily);
  if (!set) return false;
  return set.value() ||
         timers_.schedule(kPurge, kDaily, unix_millis(now) + kFirstPurgeDelayMs).ok();
}

bool Desk::purge(TimePoint now) {
  const std::int64_t seconds = unix_seconds(now);
  const auto month_of = [](std::int64_t at) {
    const auto date = flows::brussels_date(static_cast<double>(at) * 1000.0);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02d", date.year, date.month);
    return std::string(text);
  };
  auto idle = conversations_.idle_without_case(seconds -
                                               std::int64_t{retention_.conversation_days} * 86400);
  if (!idle) return false;
  for (storage::PeerId peer : idle.value()) {
    if (!conversations_.erase(peer) || !timers_.cancel(kReminder, peer_subject(peer)) ||
        !timers_.cancel(kTimeout, peer_subject(peer)) ||
        !cases_.count_purged(month_of(seconds), "-", kConversationCount)) {
      return false;
    }
  }
  std::vector<std::string> closed;
  for (auto status : {cases::Status::released, cases::Status::deported, cases::Status::closed})
    closed.emplace_back(cases::to_string(status));
  auto old = cases_.idle_in(closed, seconds - std::int64_t{retention_.closed_case_days} * 86400);
  if (!old) return false;
  for (storage::CaseId id : old.value()) {
    auto row = cases_.get(id);
    if (!row) return false;
    auto intake = flows::session_from_json(row->intake);
    const std::string centre = intake ? cases::facts_of(intake.value()).centre : std::string();
    if (!cases_.count_purged(month_of(row->created_at), centre.empty() ? "-" : centre,
                             row->status) ||
        !erase_everywhere(row.value())) {
      return false;
    }
  }
  // Minimal metadata: who wrote when is kept for the redelivery window only, and a person the
  // bot holds nothing for any more is not kept at all.
  const std::int64_t seen_before = seconds - std::int64_t{retention_.seen_days} * 86400;
  auto seen = storage::forget_seen_before(store_, seen_before);
  if (!seen) return false;
  auto peers = remove_unused_peers(seen_before, std::nullopt);
  if (!peers) return false;
  if (!idle->empty() || !old->empty() || seen.value() > 0 || *peers > 0) {
    erase_done_ = true;
    log::info("retention purged " + std::to_string(idle->size()) + " conversation(s), " +
              std::to_string(old->size()) + " case(s), " + std::to_string(*peers) +
              " unused address(es) and " + std::to_string(seen.value()) + " old timestamp(s)");
  }
  return true;
}

bool Desk::erase_everywhere(const storage::CaseRow& row) {
  if (!audit_.forget(row.reference) || !cases_.forget_mentions(row.reference) ||
      !cases_.erase(row.id) || !cancel_deadlines(row.id)) {
    return false;
  }
  // A conversation filed before its answers moved out still holds them (older versions).
  if (row.host) {
    auto saved = conversations_.load(*row.host);
    if (!saved) return false;
    if (saved.value()) {
      auto session = flows::session_from_json(*saved.value());
      if (session && session->state == flows::SessionState::finished &&
          !conversations_.save(*row.host, flows::to_json(cases::filed_remains(session.value())),
                               row.updated_at)) {
        return false;
      }
    }
  }
  erase_done_ = true;
  return true;
}

std::optional<int> Desk::remove_unused_peers(std::int64_t created_before,
                                             std::optional<storage::PeerId> only) {
  auto unused = peers_.unused(created_before);
  if (!unused) return std::nullopt;
  int removed = 0;
  for (storage::PeerId peer : unused.value()) {
    if (only && peer != *only) continue;
    auto address = peers_.address(peer);
    if (!address) return std::nullopt;
    auto member = staff_.find(address.value());
    if (!member) return std::nullopt;
    if (member.value()) continue;  // staff keep their address and keys
    // Its timers go with it (a peer id is reused once its row is gone).
    if (!timers_.cancel(kReminder, peer_subject(peer)) ||
        !timers_.cancel(kTimeout, peer_subject(peer)) ||
        !timers_.cancel(kForgetPeer, peer_subject(peer)) || !peers_.remove(peer))
      return std::nullopt;
    removed_addresses_.push_back(std::move(address).value());
    ++removed;
  }
  if (removed > 0) erase_done_ = true;  // their rows leave the WAL too
  return removed;
}

// --- Timers

std::optional<std::int64_t> Desk::next_timer_ms() {
  auto next = timers_.next_due();
  return next ? next.value() : std::nullopt;
}

bool Desk::on_due_timers(TimePoint now) {
  removed_addresses_.clear();
  auto due = timers_.due(unix_millis(now), kTimersPerRun);
  if (!due) return false;
  for (const auto& timer : due.value()) {
    if (!timers_.remove(timer.id) || !run_timer(timer, now)) return false;
  }
  return true;
}

bool Desk::run_timer(const storage::TimerRow& timer, TimePoint now) {
  long long first = 0;
  int second = 0;
  if (timer.kind == kReminder || timer.kind == kTimeout) {
    if (std::sscanf(timer.subject.c_str(), "peer %lld wait %d", &first, &second) != 2) return true;
    auto address = peers_.address(first);
    if (!address) return true;  // the person was forgotten meanwhile
    auto saved = conversations_.load(first);
    if (!saved) return false;
    const auto kind =
        timer.kind == kReminder ? flows::TimerKind::reminder : flows::TimerKind::timeout;
    return talk({first, address.value()}, flows::going_on(flows_.library, saved.value()),
                flows::TimerFired{kind, second}, now);
  }
  if (timer.kind == kPurge) {
    return purge(now) && timers_.schedule(kPurge, kDaily, unix_millis(now) + kDayMs).ok();
  }
  if (timer.kind == kForgetPeer) {
    if (std::sscanf(timer.subject.c_str(), "peer %lld", &first) != 1) return true;
    const auto removed = remove_unused_peers(unix_seconds(now) + 1, first);
    if (!removed) return false;
    if (*removed > 0) return true;
    // Not yet gone: the answer to them is still waiting to leave (then the timer waits with it),
    // or they wrote again (then they are someone the bot talks with, and it stops).
    auto waiting = storage::Outbox(store_).more_after(first, 0);
    auto saved = conversations_.load(first);
    if (!waiting || !saved) return false;
    if (!waiting.value() || saved.value()) return true;
    return timers_.schedule(kForgetPeer, timer.subject, unix_millis(now) + kForgetPeerDelayMs).ok();
  }
  if (timer.kind == kDeadline) {
    if (std::sscanf(timer.subject.c_str(), "case %lld day %d", &first, &second) != 2) return true;
    return deadline_alert(first, second);
  }
  log::warning("a timer of unknown kind was dropped");
  return true;
}

bool Desk::deadline_alert(storage::CaseId id, int days) {
  auto row = cases_.get(id);
  if (!row) return true;  // erased meanwhile
  const auto status = cases::parse_status(row->status);
  if (status && cases::is_final(*status)) return true;
  auto intake = flows::session_from_json(row->intake);
  if (!intake) return true;
  const cases::Facts facts = cases::facts_of(intake.value());
  if (!facts.arrest_date) return true;
  flows::CivilDate due = *facts.arrest_date;
  for (const auto& deadline : cases::deadlines_from(*facts.arrest_date)) {
    if (deadline.days == days) due = deadline.due;
  }
  log::info("a deadline alert went to the coordinators");
  const auto mark = outbox_mark();
  return tell_coordinators([&](const storage::StaffRow& member) {
           return flows_.desk.text(
               "staff.deadline", member.language,
               {{"reference", row->reference},
                {"days", std::to_string(days)},
                {"due", flows_.validators->display_date(due, member.language)},
                {"arrest_date",
                 flows_.validators->display_date(*facts.arrest_date, member.language)},
                {"status", flows_.desk.text("status." + row->status, member.language)}});
         }) &&
         queued_about(id, mark);
}

std::optional<std::int64_t> Desk::outbox_mark() {
  auto last = storage::Outbox(store_).last_id();
  if (!last) return std::nullopt;
  return last.value();
}

bool Desk::queued_about(storage::CaseId id, std::optional<std::int64_t> mark) {
  return mark && storage::Outbox(store_).mark_about_case(*mark, id).ok();
}

}  // namespace gvo::desk
