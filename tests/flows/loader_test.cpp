// The flow checker reports every problem with file, JSON path and what was expected; the data
// loaders too. Each case breaks the demo flow in one way.
#include <functional>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/flows/flow_fixture.hpp"

namespace {

using namespace gvo;
using Json = nlohmann::json;

Json demo_json() { return Json::parse(test::read_text(test::source_path("flows/defs/demo.json"))); }

// The problems of the demo flow after edit, one per line ("" when it loads).
std::string problems_after(const std::function<void(Json&)>& edit) {
  Json flow = demo_json();
  edit(flow);
  const auto loaded = flows::load_flow(flow.dump(), "demo.json");
  return loaded.ok() ? std::string() : loaded.error().detail;
}

}  // namespace

TEST_CASE("the shipped flow and data files load cleanly") {
  const auto& world = test::flow_world();
  const flows::Flow* demo = world.library.latest("demo");
  REQUIRE(demo != nullptr);
  CHECK(demo->version == 1);
  CHECK(demo->languages == std::vector<std::string>{"fr", "nl", "en", "ar"});
  CHECK(demo->nodes.size() == 19);
  CHECK(demo->ask_node_of_result.at("registered_name") == "ask_name");
  CHECK(world.validators->centres().centres.size() == 5);
  CHECK(world.catalog.languages.size() == 4);
  CHECK(problems_after([](Json&) {}).empty());
  // gvo-bot flows check reads every shipped file, the validators' everyday words too.
  for (const char* file : {"intake.json", "demo.json", "messages.json", "centres.json",
                           "nationalities.json", "understanding.json"}) {
    INFO(file);
    const std::string path = test::source_path(std::string("flows/defs/") + file);
    CHECK(flows::check_definition(test::read_text(path), path, world.folder).ok());
  }
}

TEST_CASE("each kind of broken flow names its path and what was expected") {
  struct Case {
    const char* what;
    std::function<void(Json&)> edit;
    const char* problem;
  };
  const Case cases[] = {
      {"unknown next", [](Json& f) { f["nodes"]["ask_name"]["next"] = "ask_nam"; },
       "demo.json: /nodes/ask_name/next: unknown node 'ask_nam'"},
      {"unknown branch target",
       [](Json& f) { f["nodes"]["check_centre"]["cases"][0]["next"] = "nowhere"; },
       "/nodes/check_centre/cases/0/next: unknown node 'nowhere'"},
      {"unknown timeout target",
       [](Json& f) { f["nodes"]["ask_name"]["timeout"]["next"] = "gone"; },
       "/nodes/ask_name/timeout/next: unknown node 'gone'"},
      {"unknown start", [](Json& f) { f["start"] = "begin"; }, "/start: unknown node 'begin'"},
      {"unreachable node",
       [](Json& f) {
         f["nodes"]["orphan"] = {{"type", "end"}};
       },
       "/nodes/orphan: unreachable from /start"},
      {"missing translation", [](Json& f) { f["nodes"]["ask_name"]["text"].erase("ar"); },
       "/nodes/ask_name/text/ar: missing translation"},
      {"missing translation of a choice",
       [](Json& f) { f["nodes"]["ask_consent"]["answer"]["choices"][1]["label"].erase("nl"); },
       "/nodes/ask_consent/answer/choices/1/label/nl: missing translation"},
      {"language not in the flow", [](Json& f) { f["nodes"]["welcome"]["text"]["es"] = "Hola"; },
       "/nodes/welcome/text/es: language not listed in /languages"},
      {"empty text", [](Json& f) { f["nodes"]["welcome"]["text"]["fr"] = ""; },
       "/nodes/welcome/text/fr: expected a non-empty string"},
      {"unknown answer type", [](Json& f) { f["nodes"]["ask_name"]["answer"]["type"] = "email"; },
       "/nodes/ask_name/answer/type: expected one of: text, name, date"},
      {"answer setting of another type",
       [](Json& f) { f["nodes"]["ask_name"]["answer"]["max_days_ago"] = 3; },
       "/nodes/ask_name/answer: allow_future, max_days_ago and min_age_years are for answers of "
       "type date"},
      {"one choice",
       [](Json& f) {
         auto& choices = f["nodes"]["ask_consent"]["answer"]["choices"];
         choices.erase(choices.begin() + 1, choices.end());
       },
       "/nodes/ask_consent/answer/choices: expected an array of at least two choices"},
      {"duplicate choice value",
       [](Json& f) { f["nodes"]["ask_consent"]["answer"]["choices"][2]["value"] = "yes"; },
       "/nodes/ask_consent/answer/choices/2/value: duplicate choice value 'yes'"},
      {"duplicate result",
       [](Json& f) { f["nodes"]["ask_nationality"]["result"] = "registered_name"; },
       "duplicate result name 'registered_name'"},
      {"set over an asked result", [](Json& f) { f["nodes"]["mark_source"]["result"] = "notes"; },
       "/nodes/mark_source/result: duplicate result name 'notes' (an ask node's result)"},
      {"branch on an unknown result",
       [](Json& f) { f["nodes"]["check_centre"]["cases"][0]["when"]["result"] = "centr"; },
       "/nodes/check_centre/cases/0/when/result: unknown result 'centr'"},
      {"summary of an unknown result", [](Json& f) { f["nodes"]["review"]["results"][0] = "nam"; },
       "/nodes/review/results/0: unknown result 'nam'"},
      {"placeholder of an unknown result",
       [](Json& f) { f["nodes"]["review"]["text"]["fr"] = "Pour {registerd_name} :"; },
       "/nodes/review/text/fr: unknown result '{registerd_name}'"},
      {"loop that never waits", [](Json& f) { f["nodes"]["urgent"]["next"] = "lawyer_urgency"; },
       "a loop that never waits for an answer"},
      {"unknown node type", [](Json& f) { f["nodes"]["welcome"]["type"] = "shout"; },
       "/nodes/welcome/type: expected one of: action, ask, branch, end, say, set, summary"},
      {"unknown key", [](Json& f) { f["nodes"]["welcome"]["txt"] = "x"; },
       "/nodes/welcome/txt: unknown key (expected one of: type, text, next)"},
      {"missing next", [](Json& f) { f["nodes"]["welcome"].erase("next"); },
       "/nodes/welcome/next: missing (expected a string)"},
      {"bad node id",
       [](Json& f) {
         f["nodes"]["Bad Id"] = {{"type", "end"}};
       },
       "/nodes/Bad Id: expected a node id of lowercase letters, digits and _"},
      {"timer out of range",
       [](Json& f) { f["nodes"]["ask_name"]["reminder"]["after_minutes"] = 0; },
       "/nodes/ask_name/reminder/after_minutes: expected a whole number from 1 to 86400, got 0"},
      {"newer format", [](Json& f) { f["format"] = 2; },
       "/format: format 2 is newer than this gvo-bot reads (1)"},
      {"no languages", [](Json& f) { f["languages"] = Json::array(); },
       "/languages: expected at least one language"},
      {"version not a number", [](Json& f) { f["version"] = "1"; },
       "/version: expected a whole number from 1 to 1000000, got a string"},
      {"minimum age on a name",
       [](Json& f) { f["nodes"]["ask_name"]["answer"]["min_age_years"] = 14; },
       "/nodes/ask_name/answer: allow_future, max_days_ago and min_age_years are for answers of "
       "type date"},
      {"minimum age out of range",
       [](Json& f) { f["nodes"]["ask_birth"]["answer"]["min_age_years"] = 200; },
       "/nodes/ask_birth/answer/min_age_years: expected a whole number from 0 to 150, got 200"},
      {"minimum age of a future date",
       [](Json& f) {
         f["nodes"]["ask_birth"]["answer"]["min_age_years"] = 14;
         f["nodes"]["ask_birth"]["answer"]["allow_future"] = true;
       },
       "/nodes/ask_birth/answer: min_age_years and allow_future cannot go together"},
      {"below on a result that is no number",
       [](Json& f) { f["nodes"]["check_centre"]["cases"][0]["when"]["below"] = 24; },
       "/nodes/check_centre/cases/0/when/below: below is for the result of a question of type "
       "since"},
      {"below not a whole number",
       [](Json& f) {
         f["nodes"]["ask_arrest"]["answer"] = {{"type", "since"}};
         f["nodes"]["check_centre"]["cases"][0]["when"] = {{"result", "arrest_date"},
                                                           {"below", "24"}};
       },
       "/nodes/check_centre/cases/0/when/below: expected a whole number"},
      {"a required question never asked",
       [](Json& f) {
         f["nodes"]["ask_name"]["takes"] = {{"ask", false}};
       },
       "/nodes/ask_name/takes/ask: a question that is never asked must be optional"},
      {"shared not a boolean",
       [](Json& f) {
         f["nodes"]["ask_name"]["takes"] = {{"shared", "yes"}};
       },
       "/nodes/ask_name/takes/shared: expected"},
      {"date settings on a since answer",
       [](Json& f) { f["nodes"]["ask_arrest"]["answer"]["type"] = "since"; },
       "/nodes/ask_arrest/answer: allow_future, max_days_ago and min_age_years are for answers "
       "of type date"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::string problems = problems_after(c.edit);
    CHECK_THAT(problems, Catch::Matchers::Contains(c.problem));
  }
  // A node of no known type hides where it leads: no cascade of "unreachable" follows it.
  CHECK_THAT(problems_after([](Json& f) { f["nodes"]["welcome"]["type"] = "shout"; }),
             !Catch::Matchers::Contains("unreachable"));
}

TEST_CASE("a since answer, a minimum age and a numeric branch load") {
  Json flow = demo_json();
  flow["nodes"]["ask_arrest"]["answer"] = {{"type", "since"}};
  flow["nodes"]["ask_birth"]["answer"]["min_age_years"] = 14;
  flow["nodes"]["check_centre"]["cases"].push_back(
      {{"when", {{"result", "arrest_date"}, {"below", 24}}}, {"next", "police_advice"}});
  const auto loaded = flows::load_flow(flow.dump(), "demo.json");
  REQUIRE(loaded.ok());
  const flows::Flow& demo = loaded.value();
  CHECK(demo.nodes.at("ask_arrest").answer.kind == flows::AnswerKind::since);
  CHECK(std::string(flows::to_string(demo.nodes.at("ask_arrest").answer.kind)) == "since");
  CHECK_FALSE(demo.nodes.at("ask_arrest").answer.confirm);
  CHECK(demo.nodes.at("ask_birth").answer.min_age_years == 14);
  const auto& cases = demo.nodes.at("check_centre").cases;
  REQUIRE(cases.size() == 2);
  CHECK_FALSE(cases[0].when.below.has_value());
  CHECK(cases[1].when.below == 24L);
}

TEST_CASE("every problem of a flow is reported at once") {
  const std::string problems = problems_after([](Json& f) {
    f["nodes"]["ask_name"]["next"] = "ask_nam";
    f["nodes"]["ask_name"]["text"].erase("ar");
    f["nodes"]["ask_name"]["answer"]["type"] = "email";
  });
  CHECK(std::count(problems.begin(), problems.end(), '\n') >= 3);  // the three, and what follows
  CHECK_THAT(problems, Catch::Matchers::Contains("unknown node 'ask_nam'"));
  CHECK_THAT(problems, Catch::Matchers::Contains("/nodes/ask_name/text/ar: missing translation"));
  CHECK_THAT(problems, Catch::Matchers::Contains("/nodes/ask_name/answer/type"));
}

TEST_CASE("text that is not a flow is refused with a reason") {
  CHECK(flows::load_flow("", "a.json").code() == flows::FlowErrc::syntax);
  const auto truncated = flows::load_flow("{\"format\": 1,\n\"nodes\": {", "b.json");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.code() == flows::FlowErrc::syntax);
  CHECK_THAT(truncated.error().detail, Catch::Matchers::Contains("b.json: parse error at line 2"));
  const auto array = flows::load_flow("[]", "c.json");
  CHECK(array.code() == flows::FlowErrc::invalid);
  CHECK_THAT(array.error().detail, Catch::Matchers::Contains("c.json: /: expected an object"));
  const auto empty = flows::load_flow("{}", "d.json");
  CHECK_THAT(empty.error().detail, Catch::Matchers::Contains("d.json: /format: missing"));
  CHECK_THAT(empty.error().detail, Catch::Matchers::Contains("d.json: /nodes: expected an object"));
}

TEST_CASE("the data loaders report their problems the same way") {
  const auto& folder = test::flow_world().folder;
  Json catalog = Json::parse(test::read_text(test::source_path("flows/defs/messages.json")));
  catalog["messages"]["confirm"].erase("ar");
  catalog["commands"].erase("why");
  const auto broken_catalog = flows::load_catalog(catalog.dump(), "messages.json", folder);
  REQUIRE_FALSE(broken_catalog.ok());
  CHECK_THAT(broken_catalog.error().detail,
             Catch::Matchers::Contains("messages.json: /messages/confirm/ar: missing translation"));
  CHECK_THAT(broken_catalog.error().detail,
             Catch::Matchers::Contains("messages.json: /commands/why: missing"));

  Json centres = Json::parse(test::read_text(test::source_path("flows/defs/centres.json")));
  centres["centres"][1]["id"] = "caricole";
  centres["centres"][2]["phones"] = "050 45 10 40";
  const auto broken_centres = flows::load_centres(centres.dump(), "centres.json", folder);
  REQUIRE_FALSE(broken_centres.ok());
  CHECK_THAT(
      broken_centres.error().detail,
      Catch::Matchers::Contains("centres.json: /centres/1/id: duplicate centre id 'caricole'"));
  CHECK_THAT(broken_centres.error().detail,
             Catch::Matchers::Contains("/centres/2/phones: expected an array of strings"));

  Json nationalities =
      Json::parse(test::read_text(test::source_path("flows/defs/nationalities.json")));
  nationalities["countries"]["ZZ"] = {{"fr", {"zzz"}}};
  nationalities["countries"]["Morocco"] = {{"fr", {"x"}}};
  const auto broken = flows::load_nationalities(nationalities.dump(), "nat.json", folder);
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(
      broken.error().detail,
      Catch::Matchers::Contains("nat.json: /countries/ZZ: expected an ISO 3166 country code"));
  CHECK_THAT(broken.error().detail, Catch::Matchers::Contains("/countries/Morocco: expected"));
}

TEST_CASE("the library keeps every version and names the latest") {
  flows::FlowLibrary library;
  const flows::Flow v1 = test::load_flow_file(test::source_path("flows/defs/demo.json"));
  const flows::Flow v2 = test::load_flow_file(test::source_path("tests/transcripts/demo_v2.json"));
  CHECK(library.add(v2));
  CHECK(library.add(v1));
  CHECK_FALSE(library.add(v1));  // the same version twice
  CHECK(library.size() == 2);
  REQUIRE(library.latest("demo") != nullptr);
  CHECK(library.latest("demo")->version == 2);
  CHECK(library.find("demo", 1)->version == 1);
  CHECK(library.find("demo", 3) == nullptr);
  CHECK(library.latest("intake") == nullptr);
}
