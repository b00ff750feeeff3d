// gvo-bot's composition root: the only file that knows every module. Parses the command line,
// loads the configuration, opens the sealed store and runs the event loop until SIGINT/SIGTERM.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bot/core/config.hpp"
#include "bot/daemon/command_line.hpp"
#include "bot/daemon/log.hpp"
#include "bot/daemon/service_manager.hpp"
#include "bot/daemon/startup.hpp"
#include "bot/transport/event_loop.hpp"
#include "flows/loader.hpp"

namespace {

constexpr int kExitDataError = 65;  // sysexits(3) EX_DATAERR

namespace daemon = gvo::daemon;
namespace log = gvo::daemon::log;

// A start-up error can hold several problems, one per line (every bad key of a config file).
void log_each_line(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) log::error(text.substr(start, end - start));
    start = end + 1;
  }
}

int run_bot(const gvo::core::Config& config) {
  gvo::storage::Store store =
      daemon::open_store(config, config.sealing.create_key ? daemon::KeyCreation::allowed
                                                           : daemon::KeyCreation::refused);
  const auto& migration = store.migration();
  if (migration.from != migration.to) {
    log::notice("database schema migrated from version " + std::to_string(migration.from) + " to " +
                std::to_string(migration.to));
  }
  gvo::transport::EventLoop loop;
  const int signal_number = loop.run_until_signal([&] {
    const std::string status = "ready, database schema version " + std::to_string(migration.to);
    daemon::notify_ready(status);
    log::info(status);
  });
  daemon::notify_stopping();
  log::info(std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
  return 0;
}

int init_bot(const gvo::core::Config& config) {
  gvo::storage::Store store = daemon::open_store(config, daemon::KeyCreation::allowed);
  std::printf("gvo-bot: data folder %s ready, sealing key id %s, database schema version %d\n",
              config.data_dir.c_str(), store.sealer().current_key().id_hex().c_str(),
              store.migration().to);
  return 0;
}

// Checks each file and reports every problem; 65 (EX_DATAERR) when any file is not right.
int check_flows(const std::vector<std::string>& files) {
  const gvo::flows::TextFolder folder;
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
    const auto checked = gvo::flows::check_definition(text.str(), file, folder);
    if (checked) {
      std::printf("%s: ok (%s)\n", file.c_str(), checked.value().c_str());
      continue;
    }
    std::fprintf(stderr, "%s\n", checked.error().detail.c_str());
    status = kExitDataError;
  }
  return status;
}

int check_config(const gvo::core::Config& config, const std::string& source) {
  const std::string key_status = daemon::check_keys(config);
  std::printf("%s: configuration is valid\n%s\n",
              source.empty() ? "embedded defaults" : source.c_str(), key_status.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);  // every file gvo-bot creates is the service user's alone
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = daemon::parse_command_line(args);
  if (!command_line) {
    std::fprintf(stderr, "gvo-bot: %s\nTry 'gvo-bot --help'.\n",
                 command_line.error().detail.c_str());
    return daemon::kExitUsage;
  }
  switch (command_line->command) {
    case daemon::Command::help:
      std::fputs(daemon::usage_text("gvo-bot").c_str(), stdout);
      return 0;
    case daemon::Command::version:
      std::printf("gvo-bot %s\n", GVO_VERSION);
      return 0;
    case daemon::Command::check_flows:
      return check_flows(command_line->files);
    default:
      break;
  }
  try {
    const gvo::core::Config config = daemon::load_config(command_line->config_path);
    log::set_level(config.log_level);
    switch (command_line->command) {
      case daemon::Command::check_config:
        return check_config(config, command_line->config_path);
      case daemon::Command::init:
        return init_bot(config);
      default:
        return run_bot(config);
    }
  } catch (const daemon::StartupError& error) {
    log_each_line(error.what());
    return error.exit_code();
  } catch (const std::exception& error) {
    log::error(std::string("unexpected failure: ") + error.what());
    return daemon::kExitFailure;
  }
}
