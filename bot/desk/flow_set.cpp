#include "bot/desk/flow_set.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace gvo::desk {

std::unique_ptr<FlowSet> load_flows(const std::string& directory) {
  auto set = std::make_unique<FlowSet>();
  auto read = [&](const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      throw FlowsError("cannot read " + path + ": " + std::strerror(errno));
    }
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  };
  auto must = [](auto loaded) {
    if (!loaded) {
      throw FlowsError("invalid flow or data file\n" + loaded.error().detail);
    }
    return std::move(loaded).value();
  };
  const std::string base =
      directory.empty() || directory.back() == '/' ? directory : directory + "/";
  set->catalog =
      must(flows::load_catalog(read(base + "messages.json"), base + "messages.json", set->folder));
  auto centres =
      must(flows::load_centres(read(base + "centres.json"), base + "centres.json", set->folder));
  auto nationalities = must(flows::load_nationalities(read(base + "nationalities.json"),
                                                      base + "nationalities.json", set->folder));
  auto understanding = must(flows::load_understanding(read(base + "understanding.json"),
                                                      base + "understanding.json", set->folder));
  set->validators =
      std::make_unique<flows::Validators>(set->catalog, set->folder, std::move(centres),
                                          std::move(nationalities), std::move(understanding));
  set->engine = std::make_unique<flows::Engine>(set->catalog, *set->validators, set->folder);
  set->desk =
      must(cases::load_desk_texts(read(base + "desk.json"), base + "desk.json", set->folder));
  std::vector<std::string> names;
  if (DIR* folder = ::opendir(directory.c_str()); folder != nullptr) {
    while (const dirent* entry = ::readdir(folder)) names.emplace_back(entry->d_name);
    ::closedir(folder);
  } else {
    throw FlowsError("cannot read the flows folder " + directory + ": " + std::strerror(errno));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
    if (name == "messages.json" || name == "centres.json" || name == "nationalities.json" ||
        name == "understanding.json" || name == "desk.json") {
      continue;
    }
    if (!set->library.add(must(flows::load_flow(read(base + name), base + name)))) {
      throw FlowsError(base + name + ": another file has the same flow id and version");
    }
  }
  return set;
}

}  // namespace gvo::desk
