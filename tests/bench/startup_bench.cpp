// gvo-startup-bench: the gvo-bot daemon (the real program, on signal-cli through the fake daemon)
// with a large database, measured two ways (DESIGN §10: start to ready <= 150 ms with 100,000
// cases; RSS <= 30 MB with 10,000 stored conversations):
//  1. start to ready: from starting the program to READY=1, with an empty database and with the
//     large one; the median of 5 starts each (the empty one is the baseline of this machine);
//  2. memory: the daemon's resident set (VmRSS) once ready, then once WRITERS of the stored
//     hosts have written again (each conversation read, moved on and saved), with its peak (VmHWM).
// The large database is filled in this process through the bot's own code: CONVERSATIONS hosts
// start their intake through the desk (conversations, peers and timers as the bot stores them),
// and CASES cases are filed through the case store with the sealed intake of one real intake.
// Prints figures; judges nothing.
//   gvo-startup-bench [CASES] [CONVERSATIONS] [WRITERS]   (default 100000 10000 500)
// WRITERS stays within the bot's rate limit for all hosts together (a burst of 600).
#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bot/daemon/startup.hpp"
#include "bot/desk/case_index.hpp"
#include "bot/desk/desk.hpp"
#include "bot/desk/flow_set.hpp"
#include "bot/log/log.hpp"
#include "storage/cases.hpp"
#include "tests/bench/reference_bits.hpp"
#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBot = GVO_BOT_PATH;
constexpr char kAccount[] = "+32400000000";
constexpr int kStarts = 5;

// The answers a host gives at the start of an intake: stored mid-way, as most conversations are.
const char* const kFirstAnswers[] = {"hello", "3 days", "vottem"};

std::string host(int i) { return "aci-host-" + std::to_string(i); }

// A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or -1.
long status_kb(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

struct Started {
  gvo::test::ReadyDaemon daemon;
  double ms = 0;
};

Started start(const gvo::test::TempDir& dir, const std::string& config) {
  Started started;
  const auto begun = Clock::now();
  started.daemon = gvo::test::start_ready(kBot, {"--config", config}, dir.path(), "bot");
  started.ms = std::chrono::duration<double, std::milli>(Clock::now() - begun).count();
  return started;
}

void stop(Started& started) {
  started.daemon.process->send_signal(SIGTERM);
  if (started.daemon.process->wait_for_exit(10s) != 0)
    throw std::runtime_error("gvo-bot did not stop cleanly: " +
                             started.daemon.process->stderr_text());
}

double median_start_ms(const gvo::test::TempDir& dir, const std::string& config) {
  std::vector<double> times;
  for (int i = 0; i < kStarts; ++i) {
    Started started = start(dir, config);
    times.push_back(started.ms);
    stop(started);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void write_config(const gvo::test::TempDir& dir, const std::string& name,
                  const std::string& data_dir) {
  gvo::test::write_text(dir.file(name), R"({"data_dir": ")" + dir.file(data_dir) +
                                            R"(", "sealing": {"create_key": true},
                            "transport": "signal-cli", "signal_cli": {"socket": ")" +
                                            dir.file("signal-cli.sock") + R"("}})");
  const auto init = gvo::test::run_to_completion(kBot, {"--config", name, "init"}, dir.path());
  if (init.exit_code != 0) throw std::runtime_error("gvo-bot init failed: " + init.err);
}

// Fills the database the way the bot would have: through the desk and the case store.
void fill(const std::string& config_path, int cases, int conversations) {
  const gvo::core::Config config = gvo::daemon::load_config(config_path);
  gvo::storage::Store store =
      gvo::daemon::open_store(config, gvo::daemon::KeyCreation::refused, gvo::desk::case_indexer());
  const auto flows = gvo::desk::load_flows(std::string(GVO_SOURCE_ROOT) + "/flows/defs");
  gvo::desk::Desk desk(
      store, *flows, "intake",
      [](const std::string&, const std::string&,
         gvo::storage::Audience) -> gvo::storage::Result<void> { return {}; },
      gvo::bench::counting_reference_bits(),
      [](const std::string&) { return std::optional<gvo::desk::Identity>(); },
      gvo::core::RetentionConfig{}, gvo::cases::RateLimitSettings{1e9, 1e9, 1e9, 1e9, 1e9, 1e9});
  const auto now = std::chrono::system_clock::now();
  auto in_one_commit = [&](auto&& work) {
    const auto done = store.db().transact([&]() -> gvo::storage::Result<void> {
      if (work()) return {};
      return gvo::storage::fail(gvo::storage::Errc::sql_failed, "the desk refused");
    });
    if (!done) throw std::runtime_error("filling the database: " + done.error().detail);
  };

  // One whole intake gives the sealed intake every filed case carries.
  const char* const kIntake[] = {
      "hello", "3 days", "vottem", "BENALI Mohamed", "moroccan", "12/3", "no", "yes", "no", "yes"};
  in_one_commit([&] {
    bool ok = true;
    for (const char* text : kIntake) ok = ok && desk.on_message("aci-template", text, now);
    return ok;
  });
  gvo::storage::CaseStore case_store(store);
  const auto filed = case_store.all();
  if (!filed || filed->size() != 1) throw std::runtime_error("the template intake filed no case");
  const std::string intake = case_store.get(filed->front()).value().intake;

  constexpr int kPerCommit = 5000;
  const std::array<const char*, 5> centres = {"127bis", "caricole", "vottem", "bruges",
                                              "merksplas"};
  const std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  for (int first = 0; first < cases; first += kPerCommit) {
    in_one_commit([&] {
      for (int i = first; i < std::min(cases, first + kPerCommit); ++i) {
        gvo::storage::NewCase fresh;
        fresh.reference = "bench" + std::to_string(i);
        fresh.centre = centres[static_cast<std::size_t>(i) % centres.size()];
        fresh.status = gvo::storage::CaseStatus::reported;
        fresh.intake = intake;
        fresh.name_keys = {"name " + std::to_string(i), "nationality " + std::to_string(i % 50)};
        if (!case_store.add(fresh, seconds - i)) return false;
      }
      return true;
    });
  }
  for (int first = 0; first < conversations; first += kPerCommit / 10) {
    in_one_commit([&] {
      bool ok = true;
      for (int i = first; i < std::min(conversations, first + kPerCommit / 10); ++i) {
        for (const char* text : kFirstAnswers) ok = ok && desk.on_message(host(i), text, now);
      }
      return ok;
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int cases = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int conversations = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int writers = std::min(conversations, argc > 3 ? std::atoi(argv[3]) : 500);
  if (cases < 0 || conversations < 1 || writers < 1) {
    std::fprintf(stderr, "usage: gvo-startup-bench [CASES] [CONVERSATIONS] [WRITERS]\n");
    return 64;
  }
  gvo::log::set_level(gvo::log::Level::warning);  // the filling desk's own notices
  try {
    gvo::test::TempDir dir;
    gvo::test::FakeSignalCli fake(dir.file("signal-cli.sock"));
    fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);  // as deployed
    fake.start();
    write_config(dir, "empty.json", "empty");
    write_config(dir, "large.json", "large");

    const auto filling = Clock::now();
    fill(dir.file("large.json"), cases, conversations);
    std::printf("filled: %d cases and %d stored conversations in %.1f s\n", cases, conversations,
                std::chrono::duration<double>(Clock::now() - filling).count());

    const double empty_ms = median_start_ms(dir, "empty.json");
    const double large_ms = median_start_ms(dir, "large.json");
    std::printf(
        "start to ready (median of %d): %.1f ms with an empty database, %.1f ms with %d cases and "
        "%d conversations (%.2fx)\n",
        kStarts, empty_ms, large_ms, cases, conversations, large_ms / empty_ms);

    Started bot = start(dir, "large.json");
    const int pid = bot.daemon.process->pid();
    const auto connecting = Clock::now();
    while (fake.connections_open() == 0 && Clock::now() - connecting < 10s)
      std::this_thread::sleep_for(5ms);  // another process's progress: nothing to wait on
    std::this_thread::sleep_for(200ms);  // the subscription and the profile: then it is idle
    const long ready_kb = status_kb(pid, "VmRSS");
    std::int64_t timestamp = 1;
    for (int i = 0; i < writers; ++i)
      fake.notify(
          gvo::test::FakeSignalCli::text_message(host(i), ++timestamp, "BENALI Mohamed", kAccount));
    const auto writing = Clock::now();
    // The writers answered so far where their stored conversation was: after the name, the
    // intake asks for the nationality (a conversation started afresh would ask "How long").
    auto replies = [&] {
      std::set<std::string> answered;
      for (const auto& request : fake.requests()) {
        if (request.value("method", "") == "send" &&
            request["params"].value("message", "").find("Which nationality") != std::string::npos)
          answered.insert(request["params"]["recipient"][0].get<std::string>());
      }
      return static_cast<int>(answered.size());
    };
    while (replies() < writers && Clock::now() - writing < 120s)
      std::this_thread::sleep_for(20ms);  // another process's progress: nothing to wait on
    const int answered = replies();
    const double written_s = std::chrono::duration<double>(Clock::now() - writing).count();
    const long after_kb = status_kb(pid, "VmRSS");
    const long peak_kb = status_kb(pid, "VmHWM");
    stop(bot);
    std::printf(
        "memory with %d cases and %d stored conversations: %.1f MB resident once ready; %.1f MB "
        "once %d hosts wrote again (%d answered in %.1f s), peak %.1f MB\n",
        cases, conversations, static_cast<double>(ready_kb) / 1024,
        static_cast<double>(after_kb) / 1024, writers, answered, written_s,
        static_cast<double>(peak_kb) / 1024);
    if (answered < writers) {
      std::fprintf(stderr,
                   "gvo-startup-bench: only %d of %d hosts were answered where their stored "
                   "conversation was\n",
                   answered, writers);
      return 1;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gvo-startup-bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
