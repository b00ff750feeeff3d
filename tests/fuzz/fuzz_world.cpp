#include "tests/fuzz/fuzz_world.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gvo::fuzz {
namespace {

std::string read(const char* name) {
  std::ifstream file(std::string(GVO_SOURCE_ROOT) + "/flows/defs/" + name, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

template <typename T>
T must(flows::Result<T> result) {
  if (!result) {
    std::fprintf(stderr, "fuzz world: %s\n", result.error().detail.c_str());
    std::abort();
  }
  return std::move(result).value();
}

World* build() {
  auto* built = new World();
  built->catalog = must(flows::load_catalog(read("messages.json"), "messages.json", built->folder));
  built->validators = std::make_unique<flows::Validators>(
      built->catalog, built->folder,
      must(flows::load_centres(read("centres.json"), "centres.json", built->folder)),
      must(flows::load_nationalities(read("nationalities.json"), "nationalities.json",
                                     built->folder)),
      must(flows::load_understanding(read("understanding.json"), "understanding.json",
                                     built->folder)));
  built->engine =
      std::make_unique<flows::Engine>(built->catalog, *built->validators, built->folder);
  built->demo = must(flows::load_flow(read("demo.json"), "demo.json"));
  built->desk = must(cases::load_desk_texts(read("desk.json"), "desk.json", built->folder));
  return built;
}

}  // namespace

const World& world() {
  static const World* instance = build();
  return *instance;
}

}  // namespace gvo::fuzz
