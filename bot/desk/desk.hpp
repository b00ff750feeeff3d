// The desk: what the bot does with each message and timer once it is decrypted. Hosts talk with
// the intake flow; a filed intake becomes a case, linked to look-alike reports, forwarded to every
// coordinator and to the referents of its centre, with deadline alerts as timers. After filing, a
// host's news ("libéré", "transferred to Vottem", "ticket for Tuesday") becomes an event that
// reaches the staff, and "status" answers with their own cases. Staff (storage/staff.hpp) work on
// cases by chat (staff_commands.cpp), each command authorised on every call.
//
// The one rule: every call runs inside the caller's transaction (a savepoint of it) and returns a
// Result. A failure says why (the detail names what failed, never personal data or message text:
// it is logged); the caller then rolls its savepoint back, so that nothing of the call commits,
// and takes the message or the timers in again later. Time comes in as an argument; messages go
// out through send, in the same transaction. One thread: the bot's loop.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/cases/access.hpp"
#include "bot/cases/case.hpp"
#include "bot/cases/commands.hpp"
#include "bot/cases/notices.hpp"
#include "bot/cases/once_in_a_while.hpp"
#include "bot/cases/rate_limit.hpp"
#include "bot/cases/timer_payloads.hpp"
#include "bot/core/config.hpp"
#include "bot/core/message_kind.hpp"
#include "bot/desk/flow_set.hpp"
#include "storage/cases.hpp"
#include "storage/conversations.hpp"
#include "storage/outbox.hpp"
#include "storage/staff.hpp"
#include "storage/timers.hpp"

namespace gvo::desk {

using TimePoint = flows::TimePoint;
template <typename T>
using Result = storage::Result<T>;

// A peer's identity key as the transport holds it, and its fingerprint as people compare it.
struct Identity {
  storage::Bytes key;
  std::string fingerprint;
};

class Desk {
 public:
  // Queues a message to an address (the outbox, in the same transaction), for whom it is meant.
  using Send = std::function<Result<void>(const std::string& address, const std::string& text,
                                          storage::Audience audience)>;
  using Random = std::function<std::array<std::uint8_t, cases::kReferenceRandomBytes>()>;
  // The identity key the transport holds for an address, if it has one yet.
  using IdentityOf = std::function<std::optional<Identity>(const std::string& address)>;

  Desk(storage::Store& store, const FlowSet& flows, std::string flow_id, Send send, Random random,
       IdentityOf identity_of, core::RetentionConfig retention = {},
       cases::RateLimitSettings limits = {});

  // At start-up: the daily retention purge and the coordinators' daily digest (09:00 Brussels
  // time) are set if they are not yet.
  [[nodiscard]] Result<void> start(TimePoint now);
  // The daily digest is on unless turned off before start (tests of other matters, whose clock
  // runs over many mornings, turn it off).
  void set_daily_digest(bool on) { daily_digest_ = on; }

  // A message someone wrote. A message the rate limits drop is a success (nothing to retry).
  [[nodiscard]] Result<void> on_message(const std::string& address, std::string_view text,
                                        TimePoint now);
  // The same for a message that is not words alone (issue 19): a voice note, a photo, a file, a
  // sticker, a reaction, an edit, a deletion, view-once media, a call. Each is answered in the
  // person's language with what to do instead (write it), so that nobody waits in silence;
  // reactions and deletions, gestures, once in ten minutes. Words that come with it (a photo's
  // caption) are then read as any message, so that the conversation's next question comes last;
  // an edit's are not (a new version of an answer given before is not the answer to the
  // question asked now).
  [[nodiscard]] Result<void> on_message(const std::string& address, std::string_view text,
                                        core::MessageKind kind, TimePoint now);
  // Runs every timer due at now (at most a batch). A timer whose payload does not read is
  // dropped with a counted log line.
  [[nodiscard]] Result<void> on_due_timers(TimePoint now);
  // When the earliest timer is due (Unix milliseconds), if any.
  [[nodiscard]] Result<std::optional<std::int64_t>> next_timer_ms();
  // The transport saw a new identity key for address. A staff member is suspended and the
  // coordinators told. Success: the key is accepted (the message is then read).
  [[nodiscard]] Result<void> on_identity_changed(const std::string& address, TimePoint now);
  // The confidentiality gate, asked by the transport at the moment a queued message leaves (in
  // its transaction), with the identity key it would encrypt to or hand the message over for
  // (nothing: not known yet). Staff data goes only to an active member whose key is the pinned
  // one; a key that is not suspends the member (dropping what waits for them) before anything is
  // encrypted to it. A person who is not staff never gets staff data.
  [[nodiscard]] Result<storage::Clearance> clear_to_send(const std::string& address,
                                                         storage::Audience audience,
                                                         const std::optional<storage::Bytes>& key,
                                                         TimePoint now);
  // Whether rows were erased since the last call: the caller then truncates the WAL after its
  // commit, so that nothing of them stays there.
  bool take_erase_done();
  // The transport could not read a message for want of a session (the person was forgotten, or
  // the session lost): they are asked to write it again, which starts a new session. Once per
  // person in ten minutes, at most 30 a minute in all; in a transaction of its own.
  [[nodiscard]] Result<void> on_sessionless(const std::string& address, TimePoint now);
  // The addresses of the people removed since the last call (forgotten, or held by nothing any
  // more): after its commit, the caller has the transport forget them too (signal-cli keeps its
  // own sessions and identity keys). A run of timers starts with none, so that one rolled back
  // leaves none behind.
  std::vector<std::string> take_removed_addresses();

 private:
  struct Host {
    storage::PeerId peer;
    std::string address;
  };
  // A case as a staff command sees it.
  struct Loaded {
    storage::CaseRow row;
    flows::Session intake;
    cases::Facts facts;
  };
  using TextFor = std::function<std::string(const storage::StaffRow&)>;

  // The rate limits' verdict on a message from address (true: it goes on); a dropped one may be
  // answered "write again in a minute" in language (every language when empty).
  Result<bool> admitted(const std::string& address, cases::Standing standing,
                        const flows::Language& language, TimePoint now);
  // The desk text key in language, or in every language for someone whose language is unknown.
  std::string text_for_anyone(const std::string& key, const flows::Language& language) const;
  // A case status as the reader's language names it.
  std::string status_text(cases::Status status, const flows::Language& language) const;
  // going: the saved conversation as flows::going_on read it (nothing: a new one starts).
  Result<void> talk(const Host& host, std::optional<flows::Session> going,
                    const flows::Event& event, TimePoint now,
                    const flows::Language& known_language = {});
  // The new case's reference.
  Result<std::string> file_case(const Host& host, const std::string& intake_json, TimePoint now);
  Result<void> follow_up(const Host& host, const std::vector<storage::CaseId>& cases,
                         const flows::Language& language, std::string_view text, TimePoint now);
  Result<void> forget_host(const Host& host, TimePoint now);
  static std::string forget_question(const flows::Language& language);
  static std::optional<flows::Language> forget_question_language(const std::string& saved);
  Result<void> answer_forget_question(const Host& host, const flows::Language& language,
                                      std::string_view text, TimePoint now);
  Result<void> run_timer(const storage::TimerRow& timer, TimePoint now);
  Result<void> conversation_wait(const cases::ConversationWait& wait, TimePoint now);
  Result<void> forget_peer_later(storage::PeerId peer, TimePoint now);
  // deadlines.cpp: a case's deadline alerts are a function of the case as it stands (its dates
  // and status), recomputed after every change: its timers cancelled and set again for each
  // deadline not past and not alerted yet (an alert sent is an event, "deadline_alert").
  Result<void> plan_deadlines(storage::CaseId id, TimePoint now);
  // The alert of one deadline, to the coordinators; late (after downtime), it says so.
  Result<void> deadline_alert(storage::CaseId id, int days, TimePoint now);
  // "deadlines": the open cases by their next deadline.
  Result<void> list_deadlines(const storage::StaffRow& member, TimePoint now);
  // A centre id as people read it ("Centre fermé de Vottem"); the id when it is not in the list.
  std::string centre_name(const std::string& centre) const;
  // A host's reminder and timeout timers are no longer wanted.
  Result<void> cancel_waits(storage::PeerId peer);
  // The person's agreement as it stands: the intake's answer, then what coordinators recorded.
  Result<cases::Consent> consent_now(storage::CaseId id, const cases::Facts& facts);
  // A referent's new-case alert for that consent ("" when they get none).
  std::string referent_alert_for(const storage::StaffRow& member, const cases::Wording& wording,
                                 const flows::Session& intake, const std::string& reference,
                                 cases::Consent consent) const;
  // A case's deadline alerts are no longer wanted (closed, erased, purged).
  Result<void> cancel_deadlines(storage::CaseId id);
  // Retention: idle conversations without a case and old closed cases go; counts stay; dedup
  // timestamps past the redelivery window and peers nothing holds go.
  Result<void> purge(TimePoint now);
  // Every copy of a case: its rows (events, notes, links, name keys go with it), the events of
  // other cases that name it, its audit trail, its deadline alerts, and what its filer's
  // conversation still held of its answers. The caller records the erasure itself if it should.
  Result<void> erase_everywhere(const storage::CaseRow& row);
  // Where the outbox stands now, and the messages queued since marked as about a case: erasing
  // it drops those still waiting (storage::Outbox).
  Result<std::int64_t> outbox_mark();
  Result<void> queued_about(storage::CaseId id, std::int64_t mark);
  // Removes the peers added before created_before that nothing holds (storage::Peers::unused),
  // staff excepted; only that one when given. How many went.
  Result<int> remove_unused_peers(std::int64_t created_before, std::optional<storage::PeerId> only);

  // host_line.cpp: the two-way line between staff and a case's hosts (casework-2).
  struct HostOnLine {
    storage::PeerId peer;
    std::string address;
    flows::Language language;  // the one they write in with the bot
  };
  // Every host of the case (case_hosts), each with their language.
  Result<std::vector<HostOnLine>> hosts_of(const storage::CaseRow& row);
  // A host's language: their conversation's, else their case's intake's, else the first.
  Result<flows::Language> language_of(storage::PeerId peer, const std::string& intake_json);
  // The hosts of the case (but the one it came from) told of a status that concerns them
  // (cases::host_notice_key), each in their language.
  Result<void> tell_hosts_status(const storage::CaseRow& row, cases::Status status,
                                 std::optional<storage::PeerId> except);
  // After filing, a host's words that are no keyword: a note on the case (sealed, erased with
  // the host's words), sent to the coordinators and the member the case is assigned to, as
  // the person's consent allows; the host is told it was passed on.
  Result<void> host_note(const Host& host, const storage::CaseRow& row, const cases::Facts& facts,
                         std::string_view text, const flows::Language& language, TimePoint now);
  // "human" (during an intake or after): a request staff see, answer and close; coordinators
  // told with its number. answered: the host was answered already (by the flow).
  Result<void> open_help_request(const Host& host, const flows::Language& language, bool answered,
                                 TimePoint now);
  // "reply K7QM-3XPD text" (the case's hosts) and "reply 3 text" (request 3's host).
  Result<void> reply_to_hosts(const storage::StaffRow& member, const cases::StaffCommand& command,
                              TimePoint now);
  Result<void> list_requests(const storage::StaffRow& member);
  // The references of the cases a host reported, newest first, joined by ", " ("" for none).
  Result<std::string> host_references(storage::PeerId peer);
  // "done 3": the request is settled; the other coordinators told.
  Result<void> close_request(const storage::StaffRow& member, const cases::StaffCommand& command,
                             TimePoint now);

  Result<void> to_host(const std::string& address, const std::string& text);
  Result<void> to_staff(const std::string& address, const std::string& text);

  // enrolment.cpp: a member who is not active yet, writing (their enrolment code, perhaps).
  Result<void> answer_inactive(storage::StaffRow& member, std::string_view text,
                               const std::optional<Identity>& identity, TimePoint now);

  // staff_commands.cpp
  Result<void> on_staff_message(storage::StaffRow member, std::string_view text, TimePoint now);
  Result<void> run_staff_command(const storage::StaffRow& member,
                                 const cases::StaffCommand& command, TimePoint now);
  // One command on one visible case (not erase).
  Result<void> run_case_command(const storage::StaffRow& member, const cases::StaffCommand& command,
                                const Loaded& loaded, TimePoint now);
  Result<void> list_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                          TimePoint now);
  Result<void> show_case(const storage::StaffRow& member, const Loaded& loaded);
  Result<void> change_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                           const Loaded& loaded, TimePoint now);
  Result<void> set_case_status(const storage::StaffRow& member, const cases::StaffCommand& command,
                               const Loaded& loaded, TimePoint now);
  Result<void> acknowledge_case(const storage::StaffRow& member, const Loaded& loaded,
                                TimePoint now);
  Result<void> assign_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                           const Loaded& loaded, TimePoint now);
  // An event on the case by member, and its audit line.
  Result<void> case_event(const storage::StaffRow& member, const Loaded& loaded,
                          const std::string& kind, std::optional<cases::Status> status,
                          const std::string& detail, TimePoint now);
  Result<void> case_audit(const storage::StaffRow& member, const Loaded& loaded);
  Result<void> link_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                          TimePoint now);
  Result<void> erase_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                          const Loaded& loaded, TimePoint now);
  Result<void> verify_member(const storage::StaffRow& member, const cases::StaffCommand& command,
                             TimePoint now);
  Result<void> list_staff(const storage::StaffRow& member);
  Result<void> show_stats(const storage::StaffRow& member);
  // "consent K7QM-3XPD yes|no" (coordinators): an event, an audit line, and the referents of the
  // centre sent the case once it is yes.
  Result<void> record_consent(const storage::StaffRow& member, const cases::StaffCommand& command,
                              const Loaded& loaded, TimePoint now);
  // awareness.cpp: what staff did, told to the other coordinators and the assigned member,
  // grouped (a StaffNews timer set by the first change; the changes are the events since).
  Result<void> staff_news_later(TimePoint now);
  // The coordinators are told when a case is at a centre no active referent follows.
  Result<void> tell_if_no_referent(const std::string& reference, const std::string& centre);
  // due_at_ms: when the timer was set to run (the changes since it was set are told).
  Result<void> tell_staff_news(std::int64_t due_at_ms, TimePoint now);
  // An event as a reader with view reads it: kind, status, and the detail their view allows.
  std::string event_text(const storage::CaseEventRow& event, cases::View view,
                         const flows::Language& language) const;
  // "coordinator +32470..." : the role and the address of who did it, when known.
  Result<std::string> actor_name(const storage::CaseEventRow& event);
  // merge.cpp: "merge KEPT OTHER" (coordinators): one case, every host kept, one set of deadline
  // alerts; the other closed as merged, pointing at the kept one.
  Result<void> merge_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                           TimePoint now);
  // The reference of the case this one was merged into, if it was.
  Result<std::optional<std::string>> merged_into(storage::CaseId id);
  // "find NAME": the cases member may see that go by that name, across scripts.
  Result<void> find_cases(const storage::StaffRow& member, const cases::StaffCommand& command,
                          TimePoint now);
  // One row of a case list as member reads it (view: theirs of the case).
  std::string case_line(const storage::StaffRow& member, const storage::CaseRow& row,
                        const cases::Facts& facts, cases::View view, long today) const;
  // digest.cpp: the coordinators' daily digest, then the next one set.
  Result<void> daily_digest(TimePoint now);
  Result<void> plan_digest(TimePoint now);
  // Whether an active referent follows centre.
  Result<bool> has_referent(const std::string& centre);
  // corrections.cpp: "correct K7QM-3XPD FIELD VALUE ; why" (coordinators).
  Result<void> correct_case(const storage::StaffRow& member, const cases::StaffCommand& command,
                            const Loaded& loaded, TimePoint now);
  // The case moved from before's centre to intake's: the referents of each told, an assignment
  // to a referent who does not follow the new centre ended.
  Result<void> move_case(const Loaded& before, const flows::Session& intake, TimePoint now);
  // What member is shown of a case visible_case let them see (View::none: answered as a case
  // that does not exist).
  Result<cases::View> view_for(const storage::StaffRow& member, const Loaded& loaded);
  // The case if member may see it; nothing (and "no such case" said) otherwise.
  Result<std::optional<Loaded>> visible_case(const storage::StaffRow& member,
                                             const std::string& reference);
  Result<void> reply(const storage::StaffRow& member, const std::string& key,
                     const std::map<std::string, std::string>& values = {});
  Result<void> audit(const storage::StaffRow& member, const std::string& action,
                     const std::string& subject, TimePoint now);

  // Sends each active staff member text_for(member) (nothing when it is empty); referents only
  // for cases at centre (when given).
  Result<void> tell_staff(const TextFor& text_for,
                          const std::optional<std::string>& referents_of_centre,
                          const std::string& except_address = {});
  Result<void> tell_coordinators(const TextFor& text_for, const std::string& except_address = {});
  std::optional<cases::Wording> wording_for(const flows::Session& intake) const;
  // The same, or a failure naming what is missing.
  Result<cases::Wording> wording_or_fail(const flows::Session& intake) const;
  flows::ValidationContext context(const flows::Language& language, TimePoint now) const;
  // What the bot knows of someone who wrote, read before anything is written for them: a member
  // of staff, or a person's conversation and cases; the language they talk in ("" unknown).
  struct Writer {
    std::optional<storage::StaffRow> member;
    cases::Standing standing = cases::Standing::stranger;
    std::optional<std::string> saved;  // their conversation, as stored
    std::vector<storage::CaseId> filed;
    flows::Language language;
  };
  Result<Writer> writer(const std::string& address);
  Result<void> answer_kind(const std::string& address, const Writer& who, core::MessageKind kind,
                           TimePoint now);
  // A message's words, admitted by the rate limits already.
  Result<void> take_message(const std::string& address, Writer who, std::string_view text,
                            TimePoint now);

  storage::Store& store_;
  const FlowSet& flows_;
  std::string flow_id_;
  Send send_;
  Random random_;
  IdentityOf identity_of_;
  core::RetentionConfig retention_;
  cases::RateLimits limits_;
  storage::Peers peers_;
  storage::Conversations conversations_;
  storage::CaseStore cases_;
  storage::Timers timers_;
  storage::StaffStore staff_;
  storage::AuditLog audit_;
  bool erase_done_ = false;
  bool daily_digest_ = true;
  std::vector<std::string> removed_addresses_;
  // Asked to write again, for want of a session: once in ten minutes, 30 a minute in all.
  cases::OnceInAWhile sessionless_told_{std::chrono::minutes(10), 30, 1000};
  // Told that reactions and deletions are not read: once in ten minutes each.
  cases::OnceInAWhile gestures_told_{std::chrono::minutes(10), 60, 1000};
  std::int64_t timers_dropped_ = 0;  // payloads that did not read, since start
};

// The value a transport's inbound handler or a test reads as the time: Unix seconds and
// milliseconds of a time point.
std::int64_t unix_seconds(TimePoint now);
std::int64_t unix_millis(TimePoint now);

// Whether a member's centres include centre.
bool follows(const storage::StaffRow& member, const std::string& centre);

// The outcome of a call whose value the caller does not need.
template <typename T>
Result<void> outcome(Result<T> result) {
  if (!result) return std::move(result).error();
  return {};
}

}  // namespace gvo::desk
