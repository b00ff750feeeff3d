#include "tests/flows/flow_fixture.hpp"

#include <ctime>
#include <fstream>
#include <iomanip>
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

namespace {

template <typename T>
T must(flows::Result<T> result) {
  if (!result) throw std::runtime_error(result.error().detail);
  return std::move(result).value();
}

FlowWorld* build() {
  auto* world = new FlowWorld();
  world->catalog = must(flows::load_catalog(read_text(source_path("flows/defs/messages.json")),
                                            "messages.json", world->folder));
  auto centres = must(flows::load_centres(read_text(source_path("flows/defs/centres.json")),
                                          "centres.json", world->folder));
  auto nationalities =
      must(flows::load_nationalities(read_text(source_path("flows/defs/nationalities.json")),
                                     "nationalities.json", world->folder));
  world->validators = std::make_unique<flows::Validators>(
      world->catalog, world->folder, std::move(centres), std::move(nationalities));
  world->engine =
      std::make_unique<flows::Engine>(world->catalog, *world->validators, world->folder);
  world->library.add(load_flow_file(source_path("flows/defs/demo.json")));
  return world;
}

}  // namespace

const FlowWorld& flow_world() {
  static const FlowWorld* world = build();  // lives as long as the test program
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
