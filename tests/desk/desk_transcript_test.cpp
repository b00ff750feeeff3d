// Runs every conversation in tests/desk/transcripts/*.txt through the desk as gvo-bot builds it
// (its flows, a real SQLite store in a temporary folder): several people writing, what each of
// them receives, timers on a fake clock, restarts, and what the store holds afterwards.
// tests/desk/transcripts/README.md describes the format.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "bot/cases/case.hpp"
#include "bot/desk/desk.hpp"
#include "tests/flows/flow_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;

class Run {
 public:
  explicit Run(std::string file = {}) : file_(std::move(file)) {}

  void run() {
    std::istringstream lines(test::read_text(file_));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      INFO(file_ << ":" << number << ": " << line);
      execute(substitute(line));
    }
    REQUIRE(desk_ != nullptr);
  }

  // One transcript line, as if read from a file ({A} is substituted).
  void line(const std::string& text) { execute(substitute(text)); }

  // What who received since their last message was read; taken.
  std::string take_messages(const std::string& who) {
    std::string all;
    for (const auto& message : inbox_[who]) all += (all.empty() ? "" : "\n---\n") + message;
    inbox_[who].clear();
    matched_[who] = false;
    return all;
  }

  const std::string& reference(const std::string& name) const { return references_.at(name); }

 private:
  // {A} -> the reference remembered as A.
  std::string substitute(std::string line) const {
    for (const auto& [name, reference] : references_) {
      const std::string key = "{" + name + "}";
      for (auto at = line.find(key); at != std::string::npos; at = line.find(key))
        line.replace(at, key.size(), reference);
    }
    return line;
  }

  void execute(const std::string& line) {
    const auto space = line.find(' ');
    const std::string op = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    if (op == "now:") {
      now_ = test::utc(arg);
      return;
    }
    if (op == "staff:") return add_staff(arg);
    if (op == "digest:") {  // "digest: on", before anything else: the desk opens with it
      digest_ = arg == "on";
      if (desk_ != nullptr) open();
      return;
    }
    if (op == "~") return advance(arg);
    if (op == "@") return command(arg);
    if (op == "=") return check(arg);
    for (const char* mark : {"<~", "<!", "<0", ">*", ">", "<"}) {
      const auto at = op.find(mark);
      if (at == std::string::npos || at == 0 || at + std::string(mark).size() != op.size())
        continue;
      const std::string who = op.substr(0, at);
      const std::string what(mark);
      if (what == ">") return write(who, arg);
      if (what == ">*") return send_other(who, arg);
      if (what == "<") return expect(who, arg, false);
      if (what == "<~") return expect(who, arg, true);
      if (what == "<!") return refuse(who, arg);
      return silent(who);
    }
    FAIL("unknown transcript line");
  }

  // "staff: referent ref-vottem fr vottem,bruges": an active member, their first key pinned.
  void add_staff(const std::string& arg) {
    desk();
    std::istringstream words(arg);
    std::string role, address, language, centres;
    words >> role >> address >> language >> centres;
    std::vector<std::string> list;
    std::istringstream split(centres);
    for (std::string centre; std::getline(split, centre, ',');) list.push_back(centre);
    storage::StaffStore staff(*store_);
    const auto typed = storage::parse_staff_role(role);
    REQUIRE(typed);
    in_transaction([&]() -> storage::Result<void> {
      auto id = staff.add(address, *typed, list, language, 0);
      if (!id) return std::move(id).error();
      return staff.verify(id.value(), key_of(address), 0);
    });
  }

  // The identity key the transport would hold for an address: one per "generation".
  storage::Bytes key_of(const std::string& address) {
    const std::string text = address + "#" + std::to_string(generation_[address]);
    return storage::Bytes(text.begin(), text.end());
  }

  desk::Desk& desk() {
    if (desk_ == nullptr) open();
    return *desk_;
  }

  void open() {
    if (!store_) {
      auto key = storage::SealingKey::generate();
      REQUIRE(key.ok());
      key_hex_ = key->to_hex();
    }
    desk_.reset();
    store_.reset();
    auto key = storage::SealingKey::from_hex(key_hex_);
    REQUIRE(key.ok());
    auto store =
        storage::Store::open(dir_.file("bot.db"), storage::Sealer({std::move(key).value()}),
                             storage::OpenMode::create_if_missing);
    REQUIRE(store.ok());
    store_ = std::make_unique<storage::Store>(std::move(store).value());
    desk_ = std::make_unique<desk::Desk>(
        *store_, test::flow_world(), "intake",
        [this](const std::string& address, const std::string& text,
               storage::Audience) -> storage::Result<void> {
          inbox_[address].push_back(text);
          return {};
        },
        [this] {
          std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
          for (auto& bit : bits) bit = static_cast<std::uint8_t>(random_() & 0xff);
          return bits;
        },
        [this](const std::string& address) -> std::optional<desk::Identity> {
          const auto identity = key_of(address);
          return desk::Identity{identity, "fp " + std::string(identity.begin(), identity.end())};
        });
    // The daily digest only where a transcript asks for it ("digest: on"): the others' clocks
    // run over many mornings, and what they check is not the digest.
    desk_->set_daily_digest(digest_);
    in_transaction([&] { return desk_->start(now_); });
  }

  template <typename Body>
  void in_transaction(Body body) {
    auto& db = store_->db();
    const auto done = db.transact([&]() -> storage::Result<void> { return body(); });
    INFO((done.ok() ? std::string() : storage::describe(done.error())));
    REQUIRE(done.ok());
  }

  // As a transport takes a message in: its sender a peer, its timestamp kept for dedup, in the
  // transaction of its effects.
  void write(const std::string& who, const std::string& text,
             core::MessageKind kind = core::MessageKind::text) {
    desk();
    clear_inboxes();
    in_transaction([&]() -> storage::Result<void> {
      const std::int64_t seconds = desk::unix_seconds(now_);
      auto peer = storage::Peers(*store_).find_or_add(who, seconds);
      if (!peer) return std::move(peer).error();
      auto seen = storage::first_time_seen(*store_, peer.value(), desk::unix_millis(now_) + ++sent_,
                                           seconds);
      if (!seen) return std::move(seen).error();
      return desk_->on_message(who, text, kind, now_);
    });
  }

  // "host>* voice_note" / "host>* picture a caption": a message that is not words alone.
  void send_other(const std::string& who, const std::string& arg) {
    const auto space = arg.find(' ');
    const auto kind = core::kind_named(arg.substr(0, space));
    REQUIRE(core::word_of(kind) == arg.substr(0, space));
    write(who, space == std::string::npos ? "" : arg.substr(space + 1), kind);
  }

  // Every sealed value the store holds that names people, opened with the key, at the places
  // storage/ seals them.
  std::vector<std::string> opened_values() {
    struct Place {
      const char* sql;  // selects the row part of the place, then the sealed value
      const char* table;
      const char* column;
    };
    const Place places[] = {
        {"SELECT id, address FROM peers", "peers", "address"},
        {"SELECT peer_id, state FROM conversations", "conversations", "state"},
        {"SELECT reference, intake FROM cases", "cases", "intake"},
        {"SELECT case_id, detail FROM case_events WHERE detail IS NOT NULL", "case_events",
         "detail"},
        {"SELECT action, subject FROM audit WHERE subject IS NOT NULL", "audit", "subject"},
        {"SELECT id, body FROM outbox", "outbox", "body"},
        {"SELECT id, body FROM inbox", "inbox", "body"},
    };
    std::vector<std::string> values;
    for (const auto& place : places) {
      auto query = store_->db().prepare(place.sql);
      REQUIRE(query.ok());
      while (true) {
        auto row = query->step();
        REQUIRE(row.ok());
        if (!row.value()) break;
        const std::string key = query->column_text(0);
        auto opened =
            store_->sealer().open({place.table, place.column, key}, query->column_blob(1));
        INFO(place.table << "." << place.column << " " << key);
        REQUIRE(opened.ok());
        values.push_back(std::move(opened).value());
      }
    }
    return values;
  }

  void expect(const std::string& who, const std::string& text, bool pattern) {
    // The message matched last may match again; the ones before it are passed over.
    auto& unread = inbox_[who];
    std::string seen;
    while (!unread.empty()) {
      const std::string message = unread.front();
      seen += "\n---\n" + message;
      const bool match = pattern ? std::regex_search(message, std::regex(text))
                                 : message.find(text) != std::string::npos;
      if (match) {
        last_[who] = message;
        matched_[who] = true;
        return;
      }
      unread.pop_front();
      matched_[who] = false;
    }
    INFO("messages to " << who << ":" << seen);
    FAIL("no message to " + who + " " + (pattern ? "matches " : "contains ") + text);
  }

  void refuse(const std::string& who, const std::string& text) {
    for (const auto& message : inbox_[who]) {
      INFO(message);
      CHECK(message.find(text) == std::string::npos);
    }
  }

  // Nothing arrived but the message matched last.
  void silent(const std::string& who) {
    auto& messages = inbox_[who];
    const std::size_t seen = matched_[who] && !messages.empty() ? 1 : 0;
    std::string unread;
    for (const auto& message : messages) unread += "\n---\n" + message;
    INFO("unread by " << who << ":" << unread);
    CHECK(messages.size() == seen);
  }

  void clear_inboxes() {
    for (auto& [address, unread] : inbox_) unread.clear();
    matched_.clear();
  }

  void advance(const std::string& arg) {
    const long amount = std::stol(arg);
    const char unit = arg.back();
    const auto step = unit == 'd'   ? std::chrono::hours(24 * amount)
                      : unit == 'h' ? std::chrono::hours(amount)
                                    : std::chrono::minutes(amount);
    desk();
    clear_inboxes();
    // Minute by minute, so that each timer runs at its own time.
    const auto end = now_ + step;
    while (now_ < end) {
      const auto due = desk_->next_timer_ms();
      REQUIRE(due.ok());
      const std::optional<std::int64_t> next = due.value();
      const auto target =
          next ? std::min(end, flows::TimePoint(std::chrono::milliseconds(*next))) : end;
      now_ = std::max(now_, target);
      in_transaction([&] { return desk_->on_due_timers(now_); });
      if (!next || flows::TimePoint(std::chrono::milliseconds(*next)) > end) now_ = end;
    }
  }

  void command(const std::string& arg) {
    std::istringstream words(arg);
    std::string name;
    words >> name;
    if (name == "restart") return open();
    if (name == "sample") {  // "@ sample A": keep some sealed bytes of case A's intake
      std::string as;
      words >> as;
      auto query = store_->db().prepare("SELECT intake FROM cases WHERE reference = ?1");
      REQUIRE(query.ok());
      auto row = query->bind(1, references_.at(as)).step();
      REQUIRE(row.ok());
      REQUIRE(row.value());
      const auto sealed = query->column_blob(0);
      REQUIRE(sealed.size() > 80);
      samples_[as] = std::string(sealed.begin() + 40, sealed.begin() + 80);
      return;
    }
    if (name == "file") return file(words);
    if (name == "remove") {  // "@ remove coord2": gvo-bot staff remove, as the admin does it
      std::string who;
      words >> who;
      desk();
      in_transaction([&]() -> storage::Result<void> {
        auto removed = storage::StaffStore(*store_).remove(who);
        if (!removed) return std::move(removed).error();
        REQUIRE(removed.value());
        return {};
      });
      return;
    }
    if (name == "key-only") {  // the key changes and the transport does not say so
      std::string who;
      words >> who;
      ++generation_[who];
      return;
    }
    if (name == "new-key") {  // "@ new-key ref-vottem": their identity key changes
      std::string who;
      words >> who;
      ++generation_[who];
      clear_inboxes();
      in_transaction([&] { return desk_->on_identity_changed(who, now_); });
      return;
    }
    if (name == "ref") {  // "@ ref A alice": the reference in alice's last message read
      std::string as, who;
      words >> as >> who;
      const std::string reference = cases::find_reference(last_[who]);
      INFO(last_[who]);
      REQUIRE_FALSE(reference.empty());
      references_[as] = reference;
      return;
    }
    FAIL("unknown @ command");
  }

  // "@ file A first fr KAMARA_Ibrahim malien vottem hier non": a host files a report through the
  // intake as this tree ships it (the answers its version asks for), in their language, the
  // person agreeing to share, a lawyer wanted or not (the last word); its reference is A. For
  // the transcripts whose subject is what happens after filing (31-34), so that a change of the
  // intake's questions changes this one place. Underscores are spaces.
  void file(std::istringstream& words) {
    std::string as, who, language, person, nationality, centre, date, lawyer;
    words >> as >> who >> language >> person >> nationality >> centre >> date >> lawyer;
    REQUIRE_FALSE(lawyer.empty());
    for (auto* text : {&person, &nationality, &centre, &date})
      std::replace(text->begin(), text->end(), '_', ' ');
    for (const auto& answer :
         test::intake_answers({language, person, nationality, centre, date, lawyer}))
      write(who, answer);
    expect(who, "[2-9A-Z]{4}-[2-9A-Z]{4}", true);
    const std::string reference = cases::find_reference(last_[who]);
    REQUIRE_FALSE(reference.empty());
    references_[as] = reference;
  }

  void check(const std::string& arg) {
    desk();
    storage::CaseStore cases(*store_);
    std::istringstream words(arg);
    std::string what, reference, expected;
    words >> what;
    if (what == "residue") {  // "= residue A absent": nothing of case A in the file or its WAL
      std::string as, expected_state;
      words >> as >> expected_state;
      if (desk_->take_erase_done()) REQUIRE(store_->db().checkpoint_truncate().ok());
      std::vector<std::uint8_t> bytes = test::read_bytes(dir_.file("bot.db"));
      const auto wal = test::read_bytes(dir_.file("bot.db-wal"));
      bytes.insert(bytes.end(), wal.begin(), wal.end());
      const bool found =
          test::contains(bytes, references_.at(as)) || test::contains(bytes, samples_.at(as));
      CHECK(found == (expected_state == "present"));
      return;
    }
    if (what == "planted") {  // "= planted Zorvexa absent": not in any value, the file, the WAL
      std::string text, expected_state;
      words >> text >> expected_state;
      std::replace(text.begin(), text.end(), '_', ' ');
      if (desk_->take_erase_done()) REQUIRE(store_->db().checkpoint_truncate().ok());
      std::vector<std::uint8_t> bytes = test::read_bytes(dir_.file("bot.db"));
      const auto wal = test::read_bytes(dir_.file("bot.db-wal"));
      bytes.insert(bytes.end(), wal.begin(), wal.end());
      bool opened = false;
      for (const auto& value : opened_values()) opened |= value.find(text) != std::string::npos;
      CHECK(opened == (expected_state == "present"));
      CHECK_FALSE(test::contains(bytes, text));  // never in clear, present or not
      return;
    }
    if (what == "rows") {  // "= rows peers 2"
      std::string table;
      words >> table >> expected;
      auto query = store_->db().prepare("SELECT count(*) FROM " + table);
      REQUIRE(query.ok());
      REQUIRE(query->step().value_or(false));
      CHECK(std::to_string(query->column_int64(0)) == expected);
      return;
    }
    if (what == "peer") {  // "= peer filer absent"
      std::string who;
      words >> who >> expected;
      auto found = storage::Peers(*store_).find(who);
      REQUIRE(found.ok());
      CHECK(found->has_value() == (expected == "present"));
      return;
    }
    if (what == "cases") {
      words >> expected;
      auto all = cases.all();
      REQUIRE(all.ok());
      CHECK(std::to_string(all->size()) == expected);
      return;
    }
    words >> reference;
    std::getline(words >> std::ws, expected);  // the rest of the line: a value may hold spaces
    auto id = cases.by_reference(reference);
    REQUIRE(id.ok());
    REQUIRE(id->has_value());
    if (what == "status") {
      auto row = cases.get(**id);
      REQUIRE(row.ok());
      CHECK(storage::to_string(row->status) == expected);
    } else if (what == "events") {
      auto events = cases.events(**id);
      REQUIRE(events.ok());
      std::string kinds;
      for (const auto& event : events.value()) kinds += (kinds.empty() ? "" : ",") + event.kind;
      CHECK(kinds == expected);
    } else if (what == "linked") {
      auto other = cases.by_reference(expected);
      REQUIRE(other.ok());
      REQUIRE(other->has_value());
      auto links = cases.links(**id);
      REQUIRE(links.ok());
      CHECK(std::find(links->begin(), links->end(), **other) != links->end());
    } else if (what == "result") {  // "= result {A} nationality=MA"
      auto row = cases.get(**id);
      REQUIRE(row.ok());
      auto session = flows::session_from_json(row->intake);
      REQUIRE(session.ok());
      const auto equals = expected.find('=');
      const auto result = session->results.find(expected.substr(0, equals));
      REQUIRE(result != session->results.end());
      CHECK(result->second.value == expected.substr(equals + 1));
    } else {
      FAIL("unknown = check");
    }
  }

  std::string file_;
  test::TempDir dir_;
  std::string key_hex_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<desk::Desk> desk_;
  std::map<std::string, int> generation_;
  std::map<std::string, std::deque<std::string>> inbox_;
  std::map<std::string, std::string> last_;
  std::map<std::string, bool> matched_;
  std::map<std::string, std::string> references_;
  std::map<std::string, std::string> samples_;
  flows::TimePoint now_ = test::utc("2026-03-16T10:00:00");
  std::int64_t sent_ = 0;  // makes each message's timestamp its own
  bool digest_ = false;
  std::minstd_rand random_{20260316};
};

}  // namespace

TEST_CASE("desk transcripts: intakes, links, updates and alerts as people write them") {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::source_path("tests/desk/transcripts"))) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    DYNAMIC_SECTION(std::filesystem::path(file).filename().string()) { Run(file).run(); }
  }
}

// DESIGN §7: for every command and every kind of member, either the command works, or the answer
// is exactly the one a case that does not exist gets (the reference aside).
TEST_CASE("staff commands: each command by each role is allowed, or answered as for no such case") {
  Run run;
  for (const char* member : {"coordinator coord en", "referent ref-vottem en vottem",
                             "referent ref-bruges en bruges", "referent ref-gone en vottem"}) {
    run.line(std::string("staff: ") + member);
  }
  run.line("@ new-key ref-gone");  // suspended
  for (const char* host : {"h1", "h2"}) {
    const std::string name = host == std::string("h1") ? "FOFANA Moussa" : "KEITA Binta";
    for (const std::string& answer :
         {std::string("hello"), std::string("3 days"), std::string("vottem"), name,
          std::string("ivorian"), std::string("yesterday"), std::string("no"), std::string("yes"),
          std::string("no"), std::string("yes")}) {
      run.line(std::string(host) + "> " + answer);
    }
    run.line(std::string(host) + "<~ Its reference: [2-9A-Z]{4}-[2-9A-Z]{4}");
    run.line(std::string("@ ref ") + (host == std::string("h1") ? "A" : "B") + " " + host);
  }
  const std::string a = run.reference("A");
  const std::string b = run.reference("B");
  const std::string missing = "2345-ABCD";
  auto swap = [](std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    return text;
  };
  struct Member {
    std::string address;
    cases::Role role;
    bool sees_vottem;
    bool active;
  };
  const std::vector<Member> members = {{"coord", cases::Role::coordinator, true, true},
                                       {"ref-vottem", cases::Role::referent, true, true},
                                       {"ref-bruges", cases::Role::referent, false, true},
                                       {"ref-gone", cases::Role::referent, true, false}};
  const std::vector<std::pair<std::string, cases::StaffVerb>> commands = {
      {"case {R}", cases::StaffVerb::show},
      {"note {R} visited today", cases::StaffVerb::note},
      {"status {R} located", cases::StaffVerb::status},
      {"assign {R} ref-vottem", cases::StaffVerb::assign},
      {"link {R} {B}", cases::StaffVerb::link},
      {"unlink {R} {B}", cases::StaffVerb::unlink},
      {"audit {R}", cases::StaffVerb::audit},
      {"close {R} closed", cases::StaffVerb::close},
      {"erase {R}", cases::StaffVerb::erase},
      {"ok {R}", cases::StaffVerb::acknowledge},
  };
  int allowed_pairs = 0;
  int refused_pairs = 0;
  for (const auto& member : members) {
    for (const auto& [command, verb] : commands) {
      INFO(member.address << ": " << command);
      const std::string text = swap(swap(command, "{B}", b), "{R}", a);
      run.line(member.address + "> " + text);
      const std::string real = run.take_messages(member.address);
      run.line(member.address + "> " + swap(text, a, missing));
      const std::string none = run.take_messages(member.address);
      REQUIRE_FALSE(real.empty());
      const bool allowed = member.active && cases::may_use(member.role, verb) && member.sees_vottem;
      if (allowed) {
        ++allowed_pairs;
        CHECK(swap(real, a, missing) != none);  // it did something the missing case cannot
      } else {
        ++refused_pairs;
        CHECK(swap(real, a, missing) == none);  // indistinguishable from no such case
        CHECK(real.find("FOFANA") == std::string::npos);
      }
    }
  }
  CHECK(allowed_pairs >= 10);
  CHECK(refused_pairs >= 20);
  // A host naming a case reference gets nothing of it.
  run.line("h2> case " + a);
  CHECK(run.take_messages("h2").find("FOFANA") == std::string::npos);
}

// Consent "no": to a referent of the case's centre, every command on the case answers exactly as
// for a case that does not exist, and the list leaves it out; a coordinator still works on it.
TEST_CASE("a case the person did not want shared is, to referents, a case that does not exist") {
  Run run;
  run.line("staff: coordinator coord en");
  run.line("staff: referent ref-vottem en vottem");
  for (const char* answer : {"hello", "3 days", "vottem", "QUISPE MAMANI Wilmer", "peruvian",
                             "yesterday", "no", "no", "his number 0470 98 76 54", "yes"}) {
    run.line(std::string("host> ") + answer);
  }
  run.line("host<~ Its reference: [2-9A-Z]{4}-[2-9A-Z]{4}");
  run.line("@ ref A host");
  const std::string a = run.reference("A");
  const std::string missing = "2345-ABCD";
  CHECK(run.take_messages("ref-vottem").empty());
  CHECK(run.take_messages("coord").find("QUISPE MAMANI Wilmer") != std::string::npos);
  auto swap = [](std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    return text;
  };
  int checked = 0;
  for (const char* command : {"case {R}", "note {R} visited today", "status {R} located", "ok {R}",
                              "consent {R} yes", "assign {R} ref-vottem", "close {R} closed",
                              "audit {R}", "erase {R} confirm", "link {R} {R}"}) {
    INFO(command);
    const std::string text = swap(command, "{R}", a);
    run.line("ref-vottem> " + text);
    const std::string real = run.take_messages("ref-vottem");
    run.line("ref-vottem> " + swap(text, a, missing));
    const std::string none = run.take_messages("ref-vottem");
    REQUIRE_FALSE(real.empty());
    CHECK(swap(real, a, missing) == none);
    CHECK(real.find("QUISPE") == std::string::npos);
    ++checked;
    // The coordinator's answer to the same command is not the missing case's (consent aside:
    // it would change what the referent may see).
    if (text.rfind("consent", 0) == 0) continue;
    run.line("coord> " + swap(text, "confirm", ""));
    CHECK(run.take_messages("coord").find("No case " + a) == std::string::npos);
  }
  CHECK(checked == 10);
  // It was closed above: listed when closed cases are asked for too.
  run.line("ref-vottem> cases all");
  CHECK(run.take_messages("ref-vottem").find(a) == std::string::npos);
  run.line("coord> cases all");
  CHECK(run.take_messages("coord").find(a) != std::string::npos);
}

// The attacker's side of a move (issue 15): once a case moved from Vottem to Merksplas, every
// command Vottem's referent tries on it (reading, acting, answering its host, the lists) answers
// exactly as for a case that does not exist, and leaks nothing of the person; Merksplas's
// referent, the positive control, can read and act on it.
TEST_CASE(
    "a case moved to another centre is, to the old centre's referent, a case that does not exist") {
  Run run;
  run.line("staff: coordinator coord en");
  run.line("staff: referent ref-vottem en vottem");
  run.line("staff: referent ref-merksplas en merksplas");
  for (const char* answer : {"hello", "3 days", "vottem", "KOUYATE Fanta", "malian", "yesterday",
                             "no", "yes", "no", "yes"}) {
    run.line(std::string("host> ") + answer);
  }
  run.line("host<~ Its reference: [2-9A-Z]{4}-[2-9A-Z]{4}");
  run.line("@ ref A host");
  const std::string a = run.reference("A");
  const std::string missing = "2345-ABCD";
  CHECK(run.take_messages("ref-vottem").find("KOUYATE") != std::string::npos);  // before the move
  run.line("coord> assign " + a + " ref-vottem");
  run.line("coord> correct " + a + " centre merksplas ; confirmed by the centre");
  CHECK(run.take_messages("ref-vottem").find("has left your centre") != std::string::npos);
  CHECK(run.take_messages("ref-merksplas").find("KOUYATE") != std::string::npos);
  auto swap = [](std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    return text;
  };
  int checked = 0;
  for (const char* command :
       {"case {R}", "note {R} visited today", "status {R} located", "ok {R}", "close {R} closed",
        "assign {R} ref-vottem", "correct {R} centre vottem", "reply {R} hello", "audit {R}",
        "erase {R} confirm", "consent {R} no", "cases {R}"}) {
    INFO(command);
    const std::string text = swap(command, "{R}", a);
    run.line("ref-vottem> " + text);
    const std::string real = run.take_messages("ref-vottem");
    run.line("ref-vottem> " + swap(text, a, missing));
    const std::string none = run.take_messages("ref-vottem");
    REQUIRE_FALSE(real.empty());
    CHECK(swap(real, a, missing) == none);
    CHECK(real.find("KOUYATE") == std::string::npos);
    CHECK(run.take_messages("host").empty());  // nothing reached the host
    ++checked;
  }
  CHECK(checked == 12);
  for (const char* list : {"cases", "cases mine", "cases merksplas"}) {
    INFO(list);
    run.line(std::string("ref-vottem> ") + list);
    CHECK(run.take_messages("ref-vottem").find(a) == std::string::npos);
  }
  // The new centre's referent reads it and acts on it.
  run.line("ref-merksplas> case " + a);
  CHECK(run.take_messages("ref-merksplas").find("KOUYATE") != std::string::npos);
  run.line("ref-merksplas> note " + a + " visited today");
  CHECK(run.take_messages("ref-merksplas").find("No case") == std::string::npos);
  run.line("ref-merksplas> cases");
  CHECK(run.take_messages("ref-merksplas").find(a) != std::string::npos);
}

// Every status word of every language, in one table (issue 15): "status REF WORD" sets it, and
// "cases WORD" lists by it, through the real desk. The table must hold every status word of
// desk.json, so that a word added there is added here.
TEST_CASE("status words: every word of every language sets and lists its status") {
  struct Word {
    const char* language;
    const char* written;
    const char* status;
  };
  const std::vector<Word> table = {
      {"fr", "nouveau", "new"},
      {"fr", "nouveaux", "new"},
      {"nl", "nieuw", "new"},
      {"en", "new", "new"},
      {"ar", "جديدة", "new"},
      {"fr", "vus", "acknowledged"},
      {"nl", "gezien", "acknowledged"},
      {"en", "acknowledged", "acknowledged"},
      {"en", "seen", "acknowledged"},
      {"ar", "مطلع", "acknowledged"},
      {"fr", "localisé", "located"},
      {"fr", "localisés", "located"},
      {"fr", "trouvé", "located"},
      {"nl", "gelokaliseerd", "located"},
      {"nl", "gevonden", "located"},
      {"en", "located", "located"},
      {"en", "found", "located"},
      {"ar", "محدد", "located"},
      {"fr", "introuvable", "not_found"},
      {"fr", "pas trouvé", "not_found"},
      {"fr", "pas trouvée", "not_found"},
      {"fr", "non trouvé", "not_found"},
      {"nl", "niet gevonden", "not_found"},
      {"nl", "onvindbaar", "not_found"},
      {"en", "not_found", "not_found"},
      {"en", "not found", "not_found"},
      {"ar", "غير موجود", "not_found"},
      {"fr", "avocat", "lawyer"},
      {"nl", "advocaat", "lawyer"},
      {"en", "lawyer", "lawyer"},
      {"ar", "محامي", "lawyer"},
      {"fr", "libéré", "released"},
      {"fr", "libérés", "released"},
      {"fr", "libre", "released"},
      {"nl", "vrijgelaten", "released"},
      {"nl", "vrij", "released"},
      {"en", "released", "released"},
      {"ar", "مفرج", "released"},
      {"fr", "expulsé", "deported"},
      {"fr", "expulsés", "deported"},
      {"nl", "uitgezet", "deported"},
      {"en", "deported", "deported"},
      {"ar", "مرحل", "deported"},
      {"fr", "transféré", "transferred"},
      {"fr", "transférés", "transferred"},
      {"nl", "overgebracht", "transferred"},
      {"en", "transferred", "transferred"},
      {"ar", "منقول", "transferred"},
      {"fr", "clos", "closed"},
      {"fr", "clôturé", "closed"},
      {"fr", "clôturés", "closed"},
      {"nl", "afgesloten", "closed"},
      {"nl", "gesloten", "closed"},
      {"en", "closed", "closed"},
      {"ar", "مغلقة", "closed"},
  };
  // Complete: every status word desk.json has is in the table.
  const auto& world = test::flow_world();
  std::set<std::string> folded_table;
  for (const auto& word : table) folded_table.insert(flows::fold_words(world.folder, word.written));
  for (const auto& [word, value] : world.desk.filter_words) {
    if (!cases::parse_status(value)) continue;  // urgent, mine, all
    INFO(word);
    CHECK(folded_table.count(word) == 1);
  }
  Run run;
  run.line("staff: coordinator coord en");
  for (const char* answer : {"hello", "3 days", "vottem", "FOFANA Moussa", "ivorian", "yesterday",
                             "no", "yes", "no", "yes"}) {
    run.line(std::string("host> ") + answer);
  }
  run.line("host<~ Its reference: [2-9A-Z]{4}-[2-9A-Z]{4}");
  run.line("@ ref A host");
  int checked = 0;
  for (const auto& word : table) {
    INFO(word.language << " " << word.written);
    run.line(std::string("coord> status {A} ") + word.written + " as the centre said");
    CHECK(run.take_messages("coord").find("Case " + run.reference("A") + ":") != std::string::npos);
    run.line(std::string("= status {A} ") + word.status);
    run.line(std::string("coord> cases ") + word.written);
    CHECK(run.take_messages("coord").find(run.reference("A")) != std::string::npos);
    ++checked;
  }
  CHECK(checked == static_cast<int>(table.size()));
}

namespace {

// Two reports of one person (linked look-alikes), each with its day-5 deadline on Tuesday 17
// March, merged or not; how many day-5 alerts each coordinator got by Tuesday.
std::size_t day5_alerts_after(bool merge) {
  Run run;
  run.line("now: 2026-03-13T15:00:00");  // arrested yesterday: day 5 is Tuesday 17 March
  run.line("staff: coordinator coord en");
  run.line("staff: coordinator coord2 fr");
  run.line("@ file A h1 en KAMARA_Ibrahim malian vottem yesterday no");
  run.line("@ file B h2 en Ibrahim_Kamara malian vottem yesterday no");
  CHECK(run.take_messages("coord").find("looks like " + run.reference("A")) != std::string::npos);
  if (merge) {
    run.line("coord> merge {A} {B}");
    CHECK(run.take_messages("coord").find("is merged into") != std::string::npos);
  }
  run.line("~ 4d");  // the alert the day before, Monday 16 March at 09:00
  std::size_t alerts = 0;
  for (const char* who : {"coord", "coord2"}) {
    const std::string received = run.take_messages(who);
    for (const char* day5 : {"the 5-day deadline", "le délai de 5 jours"}) {
      for (auto at = received.find(day5); at != std::string::npos;
           at = received.find(day5, at + 1)) {
        ++alerts;
      }
    }
  }
  return alerts;
}

}  // namespace

// Issue 15: "a merge leaves one set of alerts". Without the merge each report alerts each
// coordinator (the control: 2 x 2); merged, each coordinator gets the day-5 alert once.
TEST_CASE("after a merge only one day-5 alert fires for the person, to each coordinator") {
  CHECK(day5_alerts_after(false) == 4);
  CHECK(day5_alerts_after(true) == 2);
}

// The attacker's side of removal: a member removed from the staff list who writes "reply REF
// text" is a stranger to the bot. Nothing reaches the case's host, no reply is recorded on the
// case, and the removed member is told nothing of the case (the positive control: the same
// command before the removal reaches the host).
TEST_CASE("reply from a member removed from the staff is refused and reaches no host") {
  Run run;
  run.line("staff: coordinator coord en");
  run.line("staff: coordinator coord2 en");
  run.line("@ file A host en SANGARE_Adama malian vottem yesterday no");
  const std::string a = run.reference("A");
  run.line("coord2> reply " + a + " we called the centre");
  CHECK(run.take_messages("host").find("we called the centre") != std::string::npos);
  run.line("= events {A} created,reply");
  run.line("@ remove coord2");
  run.line("coord2> reply " + a + " send me his lawyer's number");
  const std::string to_removed = run.take_messages("coord2");
  CHECK(to_removed.find(a) == std::string::npos);
  CHECK(to_removed.find("SANGARE") == std::string::npos);
  CHECK(run.take_messages("host").empty());
  run.line("= events {A} created,reply");  // no second reply recorded
  // Nor as a host naming the case: the case is not theirs.
  run.line("coord2> case " + a);
  CHECK(run.take_messages("coord2").find("SANGARE") == std::string::npos);
  CHECK(run.take_messages("host").empty());
}
