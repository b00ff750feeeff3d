#include "tests/flows/flow_fixture.hpp"

#include <ctime>
#include <fstream>
#include <iomanip>
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
