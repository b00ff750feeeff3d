// The pure case logic: references, name skeletons and linking keys, deadlines in Brussels time,
// what hosts' updates mean, and the desk texts' loader.
#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include <catch2/catch.hpp>

#include "bot/cases/access.hpp"
#include "bot/cases/case.hpp"
#include "bot/cases/deadlines.hpp"
#include "bot/cases/desk_texts.hpp"
#include "bot/cases/matching.hpp"
#include "bot/cases/notices.hpp"
#include "bot/cases/updates.hpp"
#include "tests/flows/flow_fixture.hpp"

using namespace gvo;

namespace {

std::array<std::uint8_t, cases::kReferenceRandomBytes> bits_from(std::uint64_t value) {
  std::array<std::uint8_t, cases::kReferenceRandomBytes> bits{};
  for (auto& bit : bits) {
    bit = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return bits;
}

}  // namespace

TEST_CASE("references: XXXX-XXXX with a digit and a letter, never ambiguous symbols") {
  std::mt19937_64 random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    const std::string reference = cases::make_reference(bits_from(random()));
    REQUIRE(reference.size() == 9);
    REQUIRE(reference[4] == '-');
    CHECK(reference.find_first_of("01IO") == std::string::npos);
    CHECK(std::any_of(reference.begin(), reference.end(), ::isdigit));
    CHECK(std::any_of(reference.begin(), reference.end(), ::isalpha));
    seen.insert(reference);
  }
  CHECK(seen.size() >= 19990);  // 40 bits: collisions are rare, and the desk retries them
  // All-letter and all-digit draws still get one of each.
  CHECK(cases::make_reference(bits_from(0)).find_first_not_of("2-") != std::string::npos);
  CHECK(cases::make_reference(bits_from(0xffffffffff)).find_first_of("23456789") !=
        std::string::npos);
}

TEST_CASE("references are found in what people type") {
  CHECK(cases::find_reference("ok K7QM-3XPD") == "K7QM-3XPD");
  CHECK(cases::find_reference("k7qm3xpd libéré") == "K7QM-3XPD");
  CHECK(cases::find_reference("dossier K7QM 3XPD svp") == "K7QM-3XPD");
  CHECK(cases::find_reference("(K7QM-3XPD)") == "K7QM-3XPD");
  CHECK(cases::find_reference("released") == "");  // a word is not a reference
  CHECK(cases::find_reference("RELEASED") == "");
  CHECK(cases::find_reference("23456789") == "");    // nor a number
  CHECK(cases::find_reference("AK7QM-3XPD") == "");  // nor part of a longer word
  CHECK(cases::find_reference("K7QM-3XPDZ") == "");
  CHECK(cases::find_reference("K7QM--3XPD") == "");
  CHECK(cases::find_reference("K7Q0-3XPD") == "");  // 0 is not a symbol
  CHECK(cases::find_reference("") == "");
}

TEST_CASE("name skeletons meet across spellings, scripts, word order and particles") {
  const auto& folder = test::flow_world().folder;
  auto skeleton = [&](const char* name) { return cases::name_skeleton(folder.latin_key(name)); };
  const std::string mohamed = skeleton("BENALI Mohamed");
  CHECK(mohamed == "bnl mhmd");
  for (const char* variant : {"Mohammed Ben Ali", "mouhamed benali", "Benali, Mohamed",
                              "محمد بن علي", "Muhammad Ben-Ali"}) {
    INFO(variant);
    CHECK(skeleton(variant) == mohamed);
  }
  CHECK(skeleton("El Amrani Youssef") == skeleton("Elamrani Yusuf"));
  CHECK(skeleton("Philippe") == skeleton("Filip"));
  CHECK(skeleton("Karim Benzema") != skeleton("Karim Benali"));
  CHECK(skeleton("Aya").empty());  // vowels only: nothing to compare
}

TEST_CASE("linking keys: a full name with its nationality, or an alias anywhere") {
  const auto& folder = test::flow_world().folder;
  auto linked = [&](const cases::Facts& a, const cases::Facts& b) {
    const auto ka = cases::match_keys(a, folder);
    const auto kb = cases::match_keys(b, folder);
    for (const auto& sought : kb.sought) {
      if (std::find(ka.kept.begin(), ka.kept.end(), sought) != ka.kept.end()) return true;
    }
    return false;
  };
  cases::Facts moroccan;
  moroccan.names = {"BENALI Mohamed"};
  moroccan.aliases = {"Abou Ali"};
  moroccan.nationality = "MA";
  cases::Facts variant;
  variant.names = {"Mohammed Ben Ali"};
  variant.nationality = "MA";
  CHECK(linked(moroccan, variant));
  CHECK(linked(variant, moroccan));
  variant.nationality = "DZ";
  CHECK_FALSE(linked(moroccan, variant));  // same name, another nationality: another person
  cases::Facts alias_only;
  alias_only.aliases = {"Abu Ali"};
  alias_only.alias_only = true;
  CHECK(linked(moroccan, alias_only));  // a known alias, whatever the nationality
  CHECK(linked(alias_only, moroccan));
  cases::Facts by_alias_name;
  by_alias_name.names = {"Abou Ali"};
  by_alias_name.nationality = "TN";
  CHECK(linked(moroccan, by_alias_name));  // registered under someone's known alias
  cases::Facts first_name_only;
  first_name_only.names = {"Mohamed"};
  first_name_only.nationality = "MA";
  CHECK_FALSE(linked(moroccan, first_name_only));  // one common word links nobody
  cases::Facts short_alias;
  short_alias.aliases = {"Ali"};
  CHECK(cases::match_keys(short_alias, folder).kept.empty());

  // A short surname is a word of its own: the police's "KANE Ibrahima" is the host's "Ibrahima
  // Kane", "Kan Ibrahim" or "إبراهيما كان", whatever the order; not another Ibrahima's.
  cases::Facts registered;
  registered.names = {"KANE Ibrahima"};
  registered.nationality = "SN";
  for (const char* given : {"Ibrahima Kane", "Ibrahima KANE", "kane ibrahima", "Ibrahim Kan"}) {
    INFO(given);
    cases::Facts host;
    host.names = {given};
    host.nationality = "SN";
    CHECK(linked(registered, host));
    CHECK(linked(host, registered));
  }
  for (const char* other : {"Ibrahima Diallo", "Ibrahima Kante", "Kane Moussa"}) {
    INFO(other);
    cases::Facts host;
    host.names = {other};
    host.nationality = "SN";
    CHECK_FALSE(linked(registered, host));
  }
  cases::Facts elsewhere;
  elsewhere.names = {"Ibrahima Kane"};
  elsewhere.nationality = "ML";
  CHECK_FALSE(linked(registered, elsewhere));  // the name is common: the nationality counts
}

TEST_CASE("deadlines: the day before day 5 and day 10, at 09:00 in Brussels") {
  const auto deadlines = cases::deadlines_from({2026, 3, 12});
  REQUIRE(deadlines.size() == 2);
  CHECK(deadlines[0].days == 5);
  CHECK(deadlines[0].due == flows::CivilDate{2026, 3, 17});
  // Winter time (UTC+1): 09:00 in Brussels is 08:00 UTC.
  CHECK(deadlines[0].alert_at_ms == std::chrono::duration_cast<std::chrono::milliseconds>(
                                        test::utc("2026-03-16T08:00:00").time_since_epoch())
                                        .count());
  CHECK(deadlines[1].due == flows::CivilDate{2026, 3, 22});
  // Across the change to summer time (29 March 2026): UTC+2, so 07:00 UTC.
  const auto summer = cases::deadlines_from({2026, 3, 26});
  CHECK(summer[1].due == flows::CivilDate{2026, 4, 5});
  CHECK(summer[1].alert_at_ms == std::chrono::duration_cast<std::chrono::milliseconds>(
                                     test::utc("2026-04-04T07:00:00").time_since_epoch())
                                     .count());
  // Across a month and a year.
  CHECK(cases::deadlines_from({2026, 12, 28})[1].due == flows::CivilDate{2027, 1, 7});
}

TEST_CASE("deadlines are a function of the case: its dates and its status") {
  cases::Facts facts;
  facts.arrest_date = flows::CivilDate{2026, 3, 12};
  const long march = flows::days_from_civil({2026, 3, 1});
  struct Row {
    cases::Status status;
    bool decision;
    std::size_t count;  // deadlines wanted
    int first_day;      // the day of March the first falls on
  };
  for (const Row& row :
       {Row{cases::Status::reported, false, 2, 17}, Row{cases::Status::located, false, 2, 17},
        Row{cases::Status::transferred, false, 2, 17}, Row{cases::Status::located, true, 2, 25},
        Row{cases::Status::released, false, 0, 0}, Row{cases::Status::deported, true, 0, 0},
        Row{cases::Status::closed, false, 0, 0}}) {
    INFO(cases::to_string(row.status) << " decision " << row.decision);
    cases::Facts each = facts;
    if (row.decision) each.decision_date = flows::CivilDate{2026, 3, 20};
    const auto deadlines = cases::deadlines_of(each, row.status);
    REQUIRE(deadlines.size() == row.count);
    if (row.count > 0) CHECK(deadlines[0].due.day == row.first_day);
  }
  CHECK(cases::deadlines_of(cases::Facts{}, cases::Status::located).empty());
  const auto deadlines = cases::deadlines_of(facts, cases::Status::located);
  // Not past and not sent: both; one sent: the other; a day past the first: the second only.
  CHECK(cases::alerts_wanted(deadlines, march + 12, {}).size() == 2);
  const auto after_one = cases::alerts_wanted(deadlines, march + 12, {"5 2026-03-17"});
  REQUIRE(after_one.size() == 1);
  CHECK(after_one[0].days == 10);
  // The arrest date corrected: the mark of the old day 5 does not hold the new one back.
  cases::Facts corrected = facts;
  corrected.arrest_date = flows::CivilDate{2026, 3, 13};
  CHECK(cases::alerts_wanted(cases::deadlines_of(corrected, cases::Status::located), march + 12,
                             {"5 2026-03-17"})
            .size() == 2);
  // march + n is the (n + 1)th of March.
  CHECK(cases::alerts_wanted(deadlines, march + 16, {}).size() == 2);  // due today still counts
  CHECK(cases::alerts_wanted(deadlines, march + 17, {}).size() == 1);
  CHECK(cases::alerts_wanted(deadlines, march + 22, {}).empty());
  CHECK(cases::next_deadline(deadlines, march + 17)->days == 10);
  CHECK_FALSE(cases::next_deadline(deadlines, march + 22));
  CHECK(cases::days_late(deadlines[1], march + 24) == 3);
  CHECK(cases::days_late(deadlines[1], march + 21) == 0);
  CHECK(cases::days_late(deadlines[1], march + 2) == 0);
  CHECK(cases::alert_mark(deadlines[1]) == "10 2026-03-22");
  CHECK(cases::parse_iso_date("2026-03-12").has_value());
  CHECK_FALSE(cases::parse_iso_date("2026-02-30"));
  CHECK_FALSE(cases::parse_iso_date("2026-03-12x"));
}

TEST_CASE("host updates in four languages, the most urgent first") {
  const auto& world = test::flow_world();
  const flows::ValidationContext monday{"fr", {2026, 3, 16}};
  auto read = [&](const char* text) {
    return cases::read_update(text, world.desk, *world.validators, world.folder, monday);
  };
  using cases::UpdateKind;
  const std::vector<std::pair<const char*, UpdateKind>> table = {
      {"il est libéré", UpdateKind::released},
      {"Libérée ce matin !!", UpdateKind::released},
      {"liberee", UpdateKind::released},
      {"hij is vrijgelaten", UpdateKind::released},
      {"vrijgelatn", UpdateKind::released},
      {"he was released", UpdateKind::released},
      {"أفرج عنه اليوم", UpdateKind::released},
      {"il a été expulsé hier", UpdateKind::deported},
      {"hij is uitgezet", UpdateKind::deported},
      {"deported", UpdateKind::deported},
      {"تم ترحيله", UpdateKind::deported},
      {"transféré à Vottem", UpdateKind::transferred},
      {"overgebracht naar Brugge", UpdateKind::transferred},
      {"moved to merksplas", UpdateKind::transferred},
      {"تم نقله إلى فوتيم", UpdateKind::transferred},
      {"il a un billet pour mardi", UpdateKind::flight},
      {"he has a ticket for Tuesday", UpdateKind::flight},
      {"hij heeft een vlucht morgen", UpdateKind::flight},
      {"عنده تذكرة يوم الثلاثاء", UpdateKind::flight},
      {"libéré mais il a un billet", UpdateKind::flight},  // the urgent one wins
      {"statut", UpdateKind::status},
      {"status?", UpdateKind::status},
      {"any news?", UpdateKind::status},
      {"ما الجديد", UpdateKind::status},
      {"nouveau", UpdateKind::new_report},
      {"I want to report someone else", UpdateKind::new_report},
      {"merci beaucoup", UpdateKind::none},
      {"", UpdateKind::none},
      {"\xff\xfe", UpdateKind::none},
  };
  for (const auto& [text, kind] : table) {
    INFO(text);
    CHECK(read(text).kind == kind);
  }
  CHECK(read("transféré à Vottem").centre == "vottem");
  CHECK(read("overgebracht naar Brugge").centre == "bruges");
  CHECK(read("transferred to steenokkerzeel").centre.empty());  // two centres: not guessed
  CHECK(read("transferred").centre.empty());
  // Monday 16 March 2026: Tuesday is tomorrow, Monday is next week, "demain" is the 17th.
  CHECK(read("billet pour mardi").date == flows::CivilDate{2026, 3, 17});
  CHECK(read("ticket for monday").date == flows::CivilDate{2026, 3, 23});
  CHECK(read("vlucht morgen").date == flows::CivilDate{2026, 3, 17});
  CHECK(read("vol le 20/3").date == flows::CivilDate{2026, 3, 20});
  CHECK_FALSE(read("un billet").date.has_value());
  // Any length: a wall of text is read without a fault and without a guess.
  CHECK(read(std::string(100000, 'a').c_str()).kind == UpdateKind::none);
}

TEST_CASE("desk texts: every problem of a broken file is named") {
  const auto& folder = test::flow_world().folder;
  const std::string good = test::read_text(test::source_path("flows/defs/desk.json"));
  REQUIRE(cases::load_desk_texts(good, "desk.json", folder).ok());
  auto broken = [&](const std::string& text) {
    auto loaded = cases::load_desk_texts(text, "desk.json", folder);
    REQUIRE_FALSE(loaded.ok());
    return loaded.error().detail;
  };
  CHECK_THAT(broken("{"), Catch::Matchers::Contains("desk.json"));
  CHECK_THAT(broken("[]"), Catch::Matchers::Contains("expected an object"));
  std::string missing = good;
  missing.replace(missing.find("\"staff.new_case\""), 16, "\"staff.renamed\"");
  CHECK_THAT(broken(missing), Catch::Matchers::Contains("/messages/staff.new_case/fr: missing"));
  std::string six_days = good;
  six_days.replace(six_days.find(", \"dimanche\""), 12, "");
  CHECK_THAT(broken(six_days), Catch::Matchers::Contains("/weekdays/fr: expected seven names"));
  std::string unknown = good;
  unknown.replace(unknown.find("\"acknowledge\""), 13, "\"acknowledged\"");
  CHECK_THAT(broken(unknown), Catch::Matchers::Contains("acknowledged"));
  // A consent word means yes or no, never both; the section is required.
  std::string both = good;
  both.replace(both.find("\"non\", \"refus\""), 5, "\"oui\"");
  CHECK_THAT(broken(both), Catch::Matchers::Contains("/consent/no: 'oui' already means yes"));
  std::string no_consent = good;
  no_consent.replace(no_consent.find("\"consent\": {\n    \"yes\""), 9, "\"agreement\"");
  CHECK_THAT(broken(no_consent), Catch::Matchers::Contains("/consent: missing"));
}

TEST_CASE("consent: the intake's answer, read and replaced") {
  flows::Session intake;
  CHECK(cases::facts_of(intake).consent == cases::Consent::not_asked);  // never reached
  for (const auto& [value, skipped, expected] :
       std::vector<std::tuple<std::string, bool, cases::Consent>>{
           {"yes", false, cases::Consent::yes},
           {"no", false, cases::Consent::no},
           {"not_asked", false, cases::Consent::not_asked},
           {"yes", true, cases::Consent::not_asked},  // skipped
           {"maybe", false, cases::Consent::not_asked},
       }) {
    INFO(value << (skipped ? " skipped" : ""));
    flows::Answer given;
    given.value = given.display = given.raw = value;
    given.skipped = skipped;
    intake.results[cases::result::consent] = given;
    CHECK(cases::facts_of(intake).consent == expected);
  }
  const auto changed = cases::with_consent(intake, cases::Consent::yes);
  CHECK(cases::facts_of(changed).consent == cases::Consent::yes);
  CHECK(changed.results.at(cases::result::consent).raw.empty());  // nothing of the old answer
  for (auto consent : {cases::Consent::yes, cases::Consent::not_asked, cases::Consent::no})
    CHECK(cases::parse_consent(cases::to_string(consent)) == consent);
}

TEST_CASE("who sees what of a case: role, centre and consent") {
  using cases::Consent;
  using cases::Role;
  using cases::View;
  const std::vector<std::string> vottem = {"vottem"};
  struct Row {
    Role role;
    std::string case_centre;
    Consent consent;
    View expected;
  };
  for (const auto& row : std::vector<Row>{
           {Role::coordinator, "vottem", Consent::yes, View::full},
           {Role::coordinator, "bruges", Consent::not_asked, View::full},
           {Role::coordinator, "bruges", Consent::no, View::full},
           {Role::referent, "vottem", Consent::yes, View::visit},
           {Role::referent, "vottem", Consent::not_asked, View::reduced},
           {Role::referent, "vottem", Consent::no, View::none},
           {Role::referent, "bruges", Consent::yes, View::none},
           {Role::referent, "bruges", Consent::not_asked, View::none},
           {Role::referent, "", Consent::yes, View::none},
       }) {
    INFO(row.case_centre << " " << cases::to_string(row.consent));
    CHECK(cases::view_of(row.role, vottem, row.case_centre, row.consent) == row.expected);
  }
  CHECK(cases::may_use(Role::coordinator, cases::StaffVerb::consent));
  CHECK_FALSE(cases::may_use(Role::referent, cases::StaffVerb::consent));
}

TEST_CASE("a reduced view names no detail of the person") {
  const auto& world = test::flow_world();
  const flows::Flow* flow = world.library.latest("intake");
  REQUIRE(flow != nullptr);
  const cases::Wording wording{*flow, world.catalog, *world.validators, world.desk};
  auto answer = [](std::string value, std::string display) {
    flows::Answer given;
    given.value = std::move(value);
    given.display = std::move(display);
    return given;
  };
  flows::Session intake;
  intake.flow_id = "intake";
  intake.flow_version = flow->version;
  intake.results["registered_name"] = answer("QUISPE Wilmer", "");
  intake.results["other_names"] = answer("Wilo", "");
  intake.results["nationality"] = answer("PE", "Peru");
  intake.results["birth_date"] = answer("1990-04-12", "");
  intake.results["detainee_phone"] = answer("+32470987654", "+32 470 98 76 54");
  intake.results["centre"] = answer("vottem", "");
  intake.results["arrest_date"] = answer("2026-03-15", "");
  const std::string reduced = cases::referent_alert_reduced(wording, intake, "K7QM-3XPD", "en");
  for (const char* detail : {"QUISPE", "Wilo", "Peru", "1990", "470", "98 76 54"}) {
    INFO(reduced);
    CHECK(reduced.find(detail) == std::string::npos);
  }
  CHECK_THAT(reduced, Catch::Matchers::Contains("Vottem"));
  CHECK_THAT(reduced, Catch::Matchers::Contains("Sunday, 15 March 2026"));
  CHECK_THAT(reduced, Catch::Matchers::Contains("10-day deadline: Wednesday, 25 March 2026"));
  CHECK(cases::view_fields(wording, intake, cases::View::none, "en").empty());
  const std::string visit = cases::view_fields(wording, intake, cases::View::visit, "en");
  CHECK_THAT(visit, Catch::Matchers::Contains("QUISPE Wilmer"));
  CHECK_THAT(visit, Catch::Matchers::Contains("+32 470 98 76 54"));
  CHECK(visit.find("1990") == std::string::npos);  // a visit does not need the date of birth
  const std::string full = cases::view_fields(wording, intake, cases::View::full, "en");
  CHECK_THAT(full, Catch::Matchers::Contains("1990"));
}

TEST_CASE("find by name: every word sought in one name of the case, across scripts") {
  const auto& folder = test::flow_world().folder;
  cases::Facts facts;
  facts.names = {"BENALI Mohamed"};
  facts.aliases = {"Abou Ali"};
  struct Row {
    const char* sought;
    bool found;
  };
  for (const auto& row : std::vector<Row>{
           {"BENALI Mohamed", true},
           {"Mohammed Ben Ali", true},  // word order, spelling, particle
           {"benali", true},            // one word of the name
           {"mouhamed", true},
           {"محمد بن علي", true},  // Arabic script
           {"بن علي", true},
           {"Abu Ali", true},          // an alias
           {"Benali Youssef", false},  // a word the case does not have
           {"Karim", false},
           {"Benzema", false},
       }) {
    INFO(row.sought);
    const std::string sought = cases::sought_skeleton(row.sought, folder);
    REQUIRE_FALSE(sought.empty());
    CHECK(cases::goes_by(facts, sought, folder) == row.found);
  }
  // Short names are glued in skeletons: a word still finds them, in either order.
  for (const char* name : {"KANE Ibrahima", "Ibrahima Kane", "كان إبراهيما"}) {
    cases::Facts short_name;
    short_name.names = {name};
    INFO(name);
    CHECK(cases::goes_by(short_name, cases::sought_skeleton("Kane", folder), folder));
    CHECK(cases::goes_by(short_name, cases::sought_skeleton("Ibrahima", folder), folder));
    CHECK_FALSE(cases::goes_by(short_name, cases::sought_skeleton("Keita", folder), folder));
  }
  // What leaves no skeleton is not searched at all (it would find everyone).
  for (const char* nothing : {"", "a", "Aya", "   "}) {
    INFO(nothing);
    CHECK(cases::sought_skeleton(nothing, folder).empty());
    CHECK_FALSE(cases::goes_by(facts, cases::sought_skeleton(nothing, folder), folder));
  }
}

TEST_CASE("the daily digest: the next 09:00 on the Brussels clock, summer time or not") {
  auto ms = [](const char* utc) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(test::utc(utc).time_since_epoch())
        .count();
  };
  struct Row {
    const char* now;
    const char* next;
  };
  for (const auto& row : std::vector<Row>{
           {"2026-03-16T07:00:00", "2026-03-16T08:00:00"},  // winter: 09:00 is 08:00 UTC
           {"2026-03-16T08:00:00", "2026-03-17T08:00:00"},  // at 09:00 sharp: tomorrow's
           {"2026-03-16T08:00:01", "2026-03-17T08:00:00"},
           {"2026-03-16T23:30:00", "2026-03-17T08:00:00"},  // 00:30 in Brussels: that day's
           {"2026-03-28T09:00:00", "2026-03-29T07:00:00"},  // the night clocks go forward
           {"2026-03-29T07:00:00", "2026-03-30T07:00:00"},  // summer: 07:00 UTC
           {"2026-10-24T08:00:00", "2026-10-25T08:00:00"},  // the night clocks go back
           {"2026-10-25T07:30:00", "2026-10-25T08:00:00"},
           {"2026-12-31T10:00:00", "2027-01-01T08:00:00"},  // across a year
       }) {
    INFO(row.now);
    CHECK(cases::next_brussels_hour_ms(ms(row.now), cases::kDigestHour) == ms(row.next));
  }
}

TEST_CASE("a merged intake: the kept case's answers, what it lacked, the other's names") {
  const auto& folder = test::flow_world().folder;
  auto answer = [](const char* value) {
    flows::Answer each;
    each.value = value;
    return each;
  };
  flows::Session kept;
  kept.results[cases::result::registered_name] = answer("BENALI Mohamed");
  kept.results[cases::result::centre] = answer("vottem");
  kept.results[cases::result::consent] = answer("not_asked");
  flows::Answer skipped;
  skipped.skipped = true;
  kept.results[cases::result::arrest_date] = skipped;
  flows::Session other;
  other.results[cases::result::registered_name] = answer("Mohammed Ben Ali");
  other.results[cases::result::other_names] = answer("Momo");
  other.results[cases::result::centre] = answer("merksplas");
  other.results[cases::result::arrest_date] = answer("2026-03-12");
  other.results[cases::result::consent] = answer("yes");
  other.results[cases::result::host_contact] = answer("+32470000000");
  auto skeleton = [&](const std::string& name) {
    return cases::name_skeleton(folder.latin_key(name));
  };
  const auto merged = cases::merged_intake(
      kept, other, {skeleton("BENALI Mohamed")},
      {{"Mohammed Ben Ali", skeleton("Mohammed Ben Ali")}, {"Momo", skeleton("Momo")}});
  const cases::Facts facts = cases::facts_of(merged);
  CHECK(facts.centre == "vottem");                                // the kept one's answer stays
  CHECK(facts.arrest_date == flows::CivilDate{2026, 3, 12});      // what it lacked is taken
  CHECK(facts.consent == cases::Consent::not_asked);              // never widened by a merge
  CHECK(merged.results.count(cases::result::host_contact) == 0);  // the other host's own
  CHECK(facts.names == std::vector<std::string>{"BENALI Mohamed"});
  CHECK(facts.aliases == std::vector<std::string>{"Momo"});  // the same name is not repeated
}
