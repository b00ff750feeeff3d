#include "tests/flows/flow_fixture.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace gvo::test {

std::string source_path(const std::string& relative) {
  return std::string(GVO_SOURCE_ROOT) + "/" + relative;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

flows::Flow load_flow_file(const std::string& path) {
  auto flow = flows::load_flow(read_text(path), path);
  if (!flow) throw std::runtime_error(flow.error().detail);
  return std::move(flow).value();
}

const FlowWorld& flow_world() {
  static const auto world = desk::load_flows(source_path("flows/defs"));
  return *world;
}

std::vector<std::string> intake_answers(const ScriptedIntake& report) {
  struct Words {
    const char *hello, *yes, *no, *skip, *three_days;
  };
  static const std::map<std::string, Words> by_language = {
      {"en", {"hello", "yes", "no", "skip", "3 days"}},
      {"fr", {"bonjour", "oui", "non", "passer", "3 jours"}},
      {"nl", {"hallo", "ja", "nee", "overslaan", "3 dagen"}},
      {"ar", {"مرحبا", "نعم", "لا", "تخطي", "3 أيام"}}};
  const auto found = by_language.find(report.language);
  if (found == by_language.end()) throw std::runtime_error("no words for " + report.language);
  const Words& w = found->second;
  const bool wants_lawyer = report.lawyer == w.yes;
  const bool latin = std::all_of(report.person.begin(), report.person.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  const flows::Flow* intake = flow_world().library.latest("intake");
  if (intake == nullptr) throw std::runtime_error("no intake flow in flows/defs");
  std::vector<std::string> answers;
  if (intake->version <= 2) {
    answers = {w.hello,     "3",    "1",           report.person, w.skip, report.nationality,
               w.yes,       w.skip, report.centre, w.yes,         w.skip, w.skip,
               report.date, w.yes,  w.skip,        w.skip,        w.skip, report.lawyer};
    if (wants_lawyer) answers.emplace_back(w.skip);         // the lawyer's name
    answers.insert(answers.end(), {w.yes, w.skip, w.yes});  // consent, contact, summary
  } else {
    answers = {w.hello, w.three_days, report.centre, report.person};
    if (!latin) answers.emplace_back(w.skip);  // the name in Latin letters
    // nationality, date of arrest, lawyer, consent, anything else, the summary
    answers.insert(answers.end(),
                   {report.nationality, report.date, report.lawyer, w.yes, w.no, w.yes});
  }
  return answers;
}

const ValidatorWorld& validator_world() {
  static const auto world = [] {
    auto built = std::make_unique<ValidatorWorld>();
    const std::string base = source_path("flows/defs/");
    auto must = [](auto result) {
      if (!result) throw std::runtime_error(result.error().detail);
      return std::move(result).value();
    };
    built->catalog = must(
        flows::load_catalog(read_text(base + "messages.json"), "messages.json", built->folder));
    built->validators = std::make_unique<flows::Validators>(
        built->catalog, built->folder,
        must(flows::load_centres(read_text(base + "centres.json"), "centres.json", built->folder)),
        must(flows::load_nationalities(read_text(base + "nationalities.json"), "nationalities.json",
                                       built->folder)),
        must(flows::load_understanding(read_text(base + "understanding.json"), "understanding.json",
                                       built->folder)));
    return built;
  }();
  return *world;
}

flows::TimePoint utc(const std::string& iso) {
  std::tm parts{};
  std::istringstream in(iso);
  in >> std::get_time(&parts, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) throw std::runtime_error("bad time " + iso);
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace gvo::test
