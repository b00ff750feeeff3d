#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bot/admin/commands.hpp"
#include "bot/cases/desk_texts.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "flows/loader.hpp"

namespace gvo::admin {
namespace {

constexpr int kExitDataError = 65;  // sysexits(3) EX_DATAERR

flows::Result<std::string> check_desk_texts(const std::string& text, const std::string& file,
                                            const flows::TextFolder& folder) {
  auto loaded = cases::load_desk_texts(text, file, folder);
  if (!loaded) return std::move(loaded).error();
  return "desk texts, " + std::to_string(loaded->messages.size()) + " messages, languages " +
         std::to_string(loaded->languages.size());
}

}  // namespace

int init_bot(const core::Config& config) {
  storage::Store store =
      daemon::open_store(config, daemon::KeyCreation::allowed, desk::case_indexer());
  std::printf("gvo-bot: data folder %s ready, sealing key id %s, database schema version %d\n",
              config.data_dir.c_str(), store.sealer().current_key().id_hex().c_str(),
              store.migration().to);
  return 0;
}

int check_config(const core::Config& config, const std::string& source) {
  const std::string key_status = daemon::check_keys(config);
  std::printf("%s: configuration is valid\n%s\n",
              source.empty() ? "embedded defaults" : source.c_str(), key_status.c_str());
  return 0;
}

// Checks each file and reports every problem; 65 (EX_DATAERR) when any file is not right.
int check_flows(const std::vector<std::string>& files) {
  const flows::TextFolder folder;
  int status = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read: %s\n", file.c_str(), std::strerror(errno));
      status = kExitDataError;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    const bool desk_texts = file.size() >= 9 && file.compare(file.size() - 9, 9, "desk.json") == 0;
    const auto checked = desk_texts ? check_desk_texts(text.str(), file, folder)
                                    : flows::check_definition(text.str(), file, folder);
    if (checked) {
      std::printf("%s: ok (%s)\n", file.c_str(), checked.value().c_str());
      continue;
    }
    std::fprintf(stderr, "%s\n", checked.error().detail.c_str());
    status = kExitDataError;
  }
  return status;
}

}  // namespace gvo::admin
