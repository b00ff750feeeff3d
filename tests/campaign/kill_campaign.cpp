// gvo-kill-campaign: many hosts do GVO's whole intake through the real gvo-bot (flow mode) while
// it is killed with SIGKILL at random times, and (relay transport) gvo-relay is killed and frozen
// with SIGSTOP/SIGCONT, (signal-cli transport) the fake signal-cli daemon restarts; each is
// restarted at once. Then every host's transcript is compared with the transcript of the same
// answers made before, without faults (two hosts, one after the other, which must agree):
// missing, duplicated and reordered replies; exactly one case per host with the answers given
// (gvo-bot cases export); exactly one new-case notice per case to the coordinator.
// Prints the figures; exits 1 on any failure. README, "Tests": the short run is in ctest.
//   gvo-kill-campaign [--transport relay|signal-cli] [--seed N] [--hosts N] [--bot-kills N]
//                     [--relay-kills N] [--stops N] [--duration SECONDS] [--settle SECONDS]
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include <signal.h>

#include "tests/campaign/intake_host.hpp"
#include "tests/campaign/relay_stack.hpp"
#include "tests/support/fake_signal_cli.hpp"

namespace {

using namespace gvo;
using namespace gvo::campaign;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

struct Options {
  std::string transport = "relay";
  unsigned seed = 1;
  int hosts = 20;
  int bot_kills = 5;
  int relay_kills = 2;
  int stops = 2;
  double duration_s = 30;
  double settle_s = 120;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "gvo-kill-campaign: %s\nUsage: gvo-kill-campaign [--transport relay|signal-cli] "
               "[--seed N] [--hosts N] [--bot-kills N] [--relay-kills N] [--stops N] "
               "[--duration SECONDS] [--settle SECONDS]\n",
               why);
  std::exit(64);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") usage("runs a crash campaign (tests/campaign/)");
    if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
    const std::string value = argv[++i];
    try {
      if (arg == "--transport") {
        if (value != "relay" && value != "signal-cli") usage("--transport relay|signal-cli");
        options.transport = value;
      } else if (arg == "--seed") {
        options.seed = static_cast<unsigned>(std::stoul(value));
      } else if (arg == "--hosts") {
        options.hosts = std::max(1, std::stoi(value));
      } else if (arg == "--bot-kills") {
        options.bot_kills = std::max(0, std::stoi(value));
      } else if (arg == "--relay-kills") {
        options.relay_kills = std::max(0, std::stoi(value));
      } else if (arg == "--stops") {
        options.stops = std::max(0, std::stoi(value));
      } else if (arg == "--duration") {
        options.duration_s = std::max(1.0, std::stod(value));
      } else if (arg == "--settle") {
        options.settle_s = std::max(1.0, std::stod(value));
      } else {
        usage(("unknown option " + arg).c_str());
      }
    } catch (const std::exception&) {
      usage(("bad value for " + arg).c_str());
    }
  }
  return options;
}

// The faults, at random times in the campaign's window.
struct Fault {
  enum Kind { bot_kill, relay_kill, relay_stop } kind;
  Clock::duration at;
  Clock::duration length;  // of a stop
};

std::vector<Fault> schedule(const Options& options, std::mt19937& random) {
  const auto window = std::chrono::duration<double>(options.duration_s);
  std::uniform_real_distribution<double> when(0.02, 1.0);
  std::uniform_int_distribution<int> stop_ms(300, 3000);
  std::vector<Fault> faults;
  auto add = [&](Fault::Kind kind, int count) {
    for (int i = 0; i < count; ++i) {
      faults.push_back({kind, std::chrono::duration_cast<Clock::duration>(window * when(random)),
                        std::chrono::duration_cast<Clock::duration>(
                            std::chrono::milliseconds(stop_ms(random)))});
    }
  };
  add(Fault::bot_kill, options.bot_kills);
  add(Fault::relay_kill, options.relay_kills);
  add(Fault::relay_stop, options.stops);
  std::sort(faults.begin(), faults.end(),
            [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return faults;
}

// Runs the faults on a thread of their own (each restart waits for READY=1 without stalling the
// hosts' loop). epoch counts the faults done; fault_times says when each one began.
class FaultRunner {
 public:
  using Act = std::function<void(const Fault&)>;
  FaultRunner(std::vector<Fault> faults, Act act)
      : faults_(std::move(faults)), act_(std::move(act)) {}
  ~FaultRunner() { finish(); }

  void start() {
    begun_ = Clock::now();
    thread_ = std::thread([this] { run(); });
  }
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      abort_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  int epoch() const { return epoch_; }
  std::vector<Clock::time_point> fault_times() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fault_times_;
  }
  std::string error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }
  int done_count(Fault::Kind kind) const { return counts_[kind]; }

 private:
  void run() {
    for (const auto& fault : faults_) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_until(lock, begun_ + fault.at, [this] { return abort_; })) break;
      fault_times_.push_back(Clock::now());
      lock.unlock();
      try {
        act_(fault);
        ++counts_[fault.kind];
        ++epoch_;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> relock(mutex_);
        error_ = e.what();
        break;
      }
    }
    done_ = true;
  }

  std::vector<Fault> faults_;
  Act act_;
  Clock::time_point begun_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool abort_ = false;
  std::atomic<bool> done_{false};
  std::atomic<int> epoch_{0};
  std::atomic<int> counts_[3] = {};
  std::vector<Clock::time_point> fault_times_;
  std::string error_;
};

// What one host went through.
struct HostRecord {
  explicit HostRecord(std::string name) : intake(std::move(name)) {}
  IntakeHost intake;
  Clock::time_point start_at;
  bool started = false;
  int resent_across_fault = 0;  // signal-cli: a send in flight at a fault, made again after it
  struct Seen {
    std::string text;
    int epoch;
    Clock::time_point at;
  };
  std::vector<Seen> seen;
};

// Everything the checks need, whatever the transport.
struct Outcome {
  std::vector<std::unique_ptr<HostRecord>> hosts;
  std::vector<std::string> baseline;
  std::vector<ExportedCase> cases;
  std::map<std::string, int> new_cases;  // coordinator's notices per reference
  std::map<std::string, std::string> baseline_fields;
  std::string fault_error;
  int faults[3] = {};
  std::uint64_t undecryptable = 0;
  std::string bot_log;
  double seconds = 0;
};

int judge(const Options& options, Outcome& outcome) {
  Verdict verdict;
  int missing = 0, duplicated = 0, reordered = 0, finished = 0, resent = 0, busy = 0;
  int hosts_missing = 0, hosts_duplicated = 0, hosts_reordered = 0, shown = 0;
  for (const auto& host : outcome.hosts) {
    if (host->intake.finished()) ++finished;
    resent += host->resent_across_fault;
    for (const auto& text : host->intake.transcript())
      busy += text.find("many messages right now") != std::string::npos;
    const auto difference = compare(outcome.baseline, host->intake.transcript());
    missing += difference.missing;
    duplicated += difference.duplicated;
    reordered += difference.reordered;
    hosts_missing += difference.missing > 0;
    hosts_duplicated += difference.duplicated > 0;
    hosts_reordered += difference.reordered > 0;
    if (!difference.none() && shown++ < 5) {
      std::printf("  %s (%zu of %zu answers sent): %d missing, %d duplicated, %d reordered; %s\n",
                  host->intake.name().c_str(), host->intake.answers_sent(),
                  IntakeHost::answers_in_intake(), difference.missing, difference.duplicated,
                  difference.reordered,
                  first_difference(outcome.baseline, host->intake.transcript()).c_str());
    }
  }
  const int hosts = static_cast<int>(outcome.hosts.size());
  std::printf("\ngvo-kill-campaign, %s transport, seed %u: %d hosts, %.0f s\n",
              options.transport.c_str(), options.seed, hosts, outcome.seconds);
  std::printf("faults: %d bot kills, %d %s, %d relay stops\n", outcome.faults[Fault::bot_kill],
              outcome.faults[Fault::relay_kill],
              options.transport == "relay" ? "relay kills" : "signal-cli restarts",
              outcome.faults[Fault::relay_stop]);
  std::printf("replies expected per host: %zu; in all: %zu\n", outcome.baseline.size(),
              outcome.baseline.size() * outcome.hosts.size());
  std::printf(
      "replies missing: %d (%d hosts), duplicated: %d (%d hosts), reordered: %d (%d hosts)\n",
      missing, hosts_missing, duplicated, hosts_duplicated, reordered, hosts_reordered);
  if (options.transport == "signal-cli")
    std::printf("sent again after a fault while in flight at it (at least once, not counted): %d\n",
                resent);
  if (busy > 0)
    std::printf(
        "host.busy answers (the bot's own limit for all hosts together, 20 messages a "
        "second in bursts of 600: spread the hosts over a longer --duration): %d\n",
        busy);
  std::printf("undecryptable at the hosts: %llu\n",
              static_cast<unsigned long long>(outcome.undecryptable));

  // Cases: exactly one per host, with the answers it gave.
  std::map<std::string, int> cases_of;
  std::map<std::string, const ExportedCase*> case_of;
  for (const auto& exported : outcome.cases) {
    ++cases_of[exported.registered_name];
    case_of[exported.registered_name] = &exported;
  }
  int no_case = 0, several = 0, wrong_fields = 0, notices_missing = 0, notices_double = 0;
  for (const auto& host : outcome.hosts) {
    const int count = cases_of[host->intake.name()];
    no_case += count == 0;
    several += count > 1;
    if (count >= 1) {
      auto fields = case_of[host->intake.name()]->fields;
      fields.erase("registered_name");
      if (fields != outcome.baseline_fields) ++wrong_fields;
    }
    const std::string& reference = host->intake.reference();
    const int notices = reference.empty() ? 0 : outcome.new_cases[reference];
    notices_missing += notices == 0;
    notices_double += std::max(0, notices - 1);
  }
  std::printf(
      "cases: %zu in the export (2 of the baseline); hosts without one: %d, with several: "
      "%d, with other answers than given: %d\n",
      outcome.cases.size(), no_case, several, wrong_fields);
  std::printf("new-case notices to the coordinator: missing %d, double forwards %d\n",
              notices_missing, notices_double);
  const auto errors = std::count(outcome.bot_log.begin(), outcome.bot_log.end(), '\n');
  std::printf("the bot's log: %ld lines\n", static_cast<long>(errors));

  std::printf("checks:\n");
  verdict.check("every fault was done: " +
                    (outcome.fault_error.empty() ? std::string("yes") : outcome.fault_error),
                outcome.fault_error.empty());
  verdict.check("every host finished its intake (" + std::to_string(finished) + "/" +
                    std::to_string(hosts) + ")",
                finished == hosts);
  verdict.check("0 replies missing", missing == 0);
  verdict.check("0 replies duplicated", duplicated == 0);
  verdict.check("0 replies reordered", reordered == 0);
  verdict.check("exactly one case per host, with the answers given",
                no_case == 0 && several == 0 && wrong_fields == 0);
  verdict.check("exactly one new-case notice per case to the coordinator",
                notices_missing == 0 && notices_double == 0);
  std::printf("%s\n", verdict.failures() == 0 ? "PASS" : "FAIL");
  return verdict.failures() == 0 ? 0 : 1;
}

// When every host is done: finished, with at least the replies expected, its notice in.
bool all_done(const Outcome& outcome, const std::map<std::string, int>& notices) {
  for (const auto& host : outcome.hosts) {
    if (!host->intake.finished() || host->intake.transcript().size() < outcome.baseline.size())
      return false;
    if (notices.count(host->intake.reference()) == 0) return false;
  }
  return true;
}

std::vector<Clock::duration> start_times(const Options& options, std::mt19937& random) {
  std::uniform_real_distribution<double> when(0.0, 0.6 * options.duration_s);
  std::vector<Clock::duration> times;
  for (int i = 0; i < options.hosts; ++i)
    times.push_back(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(when(random))));
  std::sort(times.begin(), times.end());
  return times;
}

// ---- relay ----

int relay_campaign(const Options& options) {
  std::mt19937 random(options.seed);
  StackOptions settings;
  settings.log_level = "notice";
  RelayStack stack(settings);
  boost::asio::io_context io;
  Coordinator coordinator(io, stack);
  coordinator.enrol(io);
  Outcome outcome;
  std::vector<std::unique_ptr<RelayPeer>> peers;

  auto make_host = [&](int index) {
    auto record = std::make_unique<HostRecord>(host_name(index));
    HostRecord* host = record.get();
    const std::string account = "host-" + std::to_string(index);
    peers.push_back(
        std::make_unique<RelayPeer>(io, stack.dir().file(account + ".db"), stack.account(account),
                                    [host, &peers, slot = peers.size()](const std::string& text) {
                                      if (auto answer = host->intake.on_message(text))
                                        peers[slot]->say(*answer);
                                    }));
    return record;
  };
  auto begin = [&](HostRecord& host, std::size_t slot) {
    peers[slot]->start();
    peers[slot]->say(host.intake.first_message());
    host.started = true;
  };

  // The baseline: two hosts, one after the other, no fault.
  std::vector<std::vector<std::string>> baselines;
  for (int b = 0; b < 2; ++b) {
    auto host = make_host(options.hosts + b);
    begin(*host, peers.size() - 1);
    if (!run_until(
            io,
            [&] {
              return host->intake.finished() &&
                     coordinator.new_cases().count(host->intake.reference()) > 0;
            },
            60s)) {
      std::string seen;
      for (const auto& text : host->intake.transcript()) seen += "  < " + text + "\n";
      std::fprintf(stderr,
                   "gvo-kill-campaign: the baseline intake did not finish (%zu answers sent); it "
                   "received:\n%sbot:\n%s\n",
                   host->intake.answers_sent(), seen.c_str(), stack.bot_log().c_str());
      return 1;
    }
    // Anything more on its way comes now.
    run_until(
        io, [] { return false; }, 1500ms);
    baselines.push_back(host->intake.transcript());
    peers.back()->stop();
  }
  if (baselines[0] != baselines[1]) {
    std::fprintf(stderr, "gvo-kill-campaign: the two baseline intakes differ (%s): no reference\n",
                 first_difference(baselines[0], baselines[1]).c_str());
    return 1;
  }
  outcome.baseline = baselines[0];
  const std::size_t first_host_slot = peers.size();

  for (int i = 0; i < options.hosts; ++i) outcome.hosts.push_back(make_host(i));
  const auto starts = start_times(options, random);
  FaultRunner faults(schedule(options, random), [&](const Fault& fault) {
    switch (fault.kind) {
      case Fault::bot_kill:
        stack.kill_bot();
        stack.start_bot();
        break;
      case Fault::relay_kill:
        stack.kill_relay();
        stack.start_relay();
        break;
      case Fault::relay_stop:
        stack.stop_relay();
        std::this_thread::sleep_for(fault.length);  // the fault itself: frozen this long
        stack.continue_relay();
        break;
    }
  });
  const auto begun = Clock::now();
  faults.start();
  std::size_t next = 0;
  const auto deadline =
      begun + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.duration_s + options.settle_s));
  while (Clock::now() < deadline) {
    while (next < starts.size() && Clock::now() - begun >= starts[next]) {
      begin(*outcome.hosts[next], first_host_slot + next);
      ++next;
    }
    if (next == starts.size() && faults.done() && all_done(outcome, coordinator.new_cases())) break;
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  faults.finish();
  // Late duplicates come now, if any.
  run_until(
      io, [] { return false; }, 2s);
  outcome.seconds = std::chrono::duration<double>(Clock::now() - begun).count();
  for (std::size_t i = first_host_slot; i < peers.size(); ++i)
    outcome.undecryptable += peers[i]->status().undecryptable;
  for (auto& peer : peers) peer->stop();
  coordinator.peer().stop();
  outcome.fault_error = faults.error();
  for (int k = 0; k < 3; ++k) outcome.faults[k] = faults.done_count(static_cast<Fault::Kind>(k));
  outcome.new_cases = coordinator.new_cases();
  if (stack.bot_running()) stack.terminate_bot();
  outcome.bot_log = stack.bot_log();
  outcome.cases = export_cases(stack);
  for (const auto& exported : outcome.cases) {
    if (exported.registered_name == host_name(options.hosts)) {
      outcome.baseline_fields = exported.fields;
      outcome.baseline_fields.erase("registered_name");
    }
  }
  stack.terminate_relay();
  return judge(options, outcome);
}

// ---- signal-cli ----

constexpr char kAccount[] = "+32400000000";

int signal_cli_campaign(const Options& options) {
  std::mt19937 random(options.seed);
  test::TempDir dir;
  // Every send the bot makes, taken on the fake's thread, read on this one (declared before the
  // fake, whose thread uses them until it is gone).
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<std::pair<std::string, std::string>> sends;  // recipient, message
  test::FakeSignalCli fake(dir.file("signal-cli.sock"));
  fake.set_receive_mode(test::FakeSignalCli::ReceiveMode::manual);
  const std::string coordinator = "aci-coord";
  fake.set_identities(Json::array({{{"number", nullptr},
                                    {"uuid", coordinator},
                                    {"fingerprint", "0510"},
                                    {"safetyNumber", std::string(60, '4')},
                                    {"trustLevel", "TRUSTED_UNVERIFIED"}}}));
  fake.set_answer([&](const Json& request) -> std::string {
    if (request.value("method", "") != "send") return {};
    const auto& params = request["params"];
    if (!params.contains("recipient") || !params["recipient"].is_array() ||
        params["recipient"].empty())
      return {};
    {
      std::lock_guard<std::mutex> lock(mutex);
      sends.emplace_back(params["recipient"][0].get<std::string>(), params.value("message", ""));
    }
    arrived.notify_one();
    return {};
  });
  fake.start();
  test::write_text(
      dir.file("bot.json"),
      R"({"data_dir": "bot", "sealing": {"create_key": true}, "log": {"level": "notice"},
                       "transport": "signal-cli", "signal_cli": {"socket": ")" +
          dir.file("signal-cli.sock") + R"(", "typing_indicators": false}})");
  auto bot_command = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "bot.json"});
    return test::run_to_completion(GVO_BOT_PATH, args, dir.path());
  };
  if (bot_command({"init"}).exit_code != 0) return 1;
  const auto added = bot_command({"staff", "add", coordinator, "coordinator", "--language", "en"});
  if (added.exit_code != 0) return 1;
  const std::string enrolment = added.out.substr(0, added.out.find('\n'));
  std::string old_logs;
  test::ReadyDaemon bot;
  int bot_starts = 0;
  auto start_bot = [&] {
    if (bot.process) old_logs += bot.process->stderr_text();
    bot = test::start_ready(GVO_BOT_PATH, {"--config", "bot.json"}, dir.path(),
                            "bot" + std::to_string(++bot_starts));
  };
  start_bot();

  Outcome outcome;
  std::map<std::string, HostRecord*> by_address;
  std::map<std::string, Json> last_payload;  // what each host sent last
  std::int64_t clock = 1773655200000;
  std::map<std::string, int> notices;
  bool enrolled = false;
  auto say = [&](const std::string& who, const std::string& text) {
    auto payload = test::FakeSignalCli::text_message(who, ++clock, text, kAccount);
    last_payload[who] = payload;
    fake.notify(payload);
  };
  FaultRunner* runner = nullptr;
  auto dispatch = [&](std::chrono::milliseconds wait) {
    std::deque<std::pair<std::string, std::string>> taken;
    {
      std::unique_lock<std::mutex> lock(mutex);
      arrived.wait_for(lock, wait, [&] { return !sends.empty(); });
      taken.swap(sends);
    }
    for (const auto& [who, text] : taken) {
      if (who == coordinator) {
        if (text.find("You are enrolled") != std::string::npos) enrolled = true;
        static const std::regex notice("New case ([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})");
        std::smatch found;
        if (std::regex_search(text, found, notice)) ++notices[found[1].str()];
        continue;
      }
      auto it = by_address.find(who);
      if (it == by_address.end()) continue;
      HostRecord& host = *it->second;
      const int epoch = runner ? runner->epoch() : 0;
      const auto now = Clock::now();
      // A send in flight when a fault came (up to 2 s before it), made again after it: each
      // recipient's messages leave in order, so only the last one seen can come again (an
      // earlier text that recurs, "Question skipped." say, is a new message).
      bool again = false;
      if (runner && !host.seen.empty()) {
        const auto& last = host.seen.back();
        if (last.text == text && last.epoch < epoch) {
          for (const auto& fault : runner->fault_times())
            again = again || (fault >= last.at && fault - last.at <= 2s);
        }
      }
      host.seen.push_back({text, epoch, now});
      if (again) {
        ++host.resent_across_fault;
        continue;
      }
      if (auto answer = host.intake.on_message(text)) say(who, *answer);
    }
  };
  auto wait_for = [&](const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() > end) return false;
      dispatch(10ms);
    }
    return true;
  };
  say(coordinator, "enrol " + enrolment);
  if (!wait_for([&] { return enrolled; }, 20s)) {
    std::fprintf(stderr, "gvo-kill-campaign: the coordinator was not enrolled\n");
    return 1;
  }

  std::vector<std::unique_ptr<HostRecord>> baseline_hosts;
  for (int b = 0; b < 2; ++b) {
    baseline_hosts.push_back(std::make_unique<HostRecord>(host_name(options.hosts + b)));
    HostRecord& host = *baseline_hosts.back();
    const std::string address = "aci-base-" + std::to_string(b);
    by_address[address] = &host;
    say(address, host.intake.first_message());
    if (!wait_for([&] { return host.intake.finished() && notices.count(host.intake.reference()); },
                  60s)) {
      std::string seen;
      for (const auto& text : host.intake.transcript()) seen += "  < " + text + "\n";
      std::fprintf(stderr,
                   "gvo-kill-campaign: the baseline intake did not finish (%zu answers sent); it "
                   "received:\n%s",
                   host.intake.answers_sent(), seen.c_str());
      return 1;
    }
    wait_for([] { return false; }, 1500ms);
  }
  if (baseline_hosts[0]->intake.transcript() != baseline_hosts[1]->intake.transcript()) {
    std::fprintf(stderr, "gvo-kill-campaign: the two baseline intakes differ (%s)\n",
                 first_difference(baseline_hosts[0]->intake.transcript(),
                                  baseline_hosts[1]->intake.transcript())
                     .c_str());
    return 1;
  }
  outcome.baseline = baseline_hosts[0]->intake.transcript();

  for (int i = 0; i < options.hosts; ++i) {
    outcome.hosts.push_back(std::make_unique<HostRecord>(host_name(i)));
    by_address["aci-host-" + std::to_string(i)] = outcome.hosts.back().get();
  }
  const auto starts = start_times(options, random);
  Options without_stops = options;
  without_stops.stops = 0;  // a frozen signal-cli is not simulated by the fake
  FaultRunner faults(schedule(without_stops, random), [&](const Fault& fault) {
    if (fault.kind == Fault::bot_kill) {
      bot.process->send_signal(SIGKILL);
      if (!bot.process->wait_for_exit(10s)) throw std::runtime_error("the bot did not die");
      start_bot();
    } else {
      fake.stop();
      fake.start();
    }
  });
  runner = &faults;
  const auto begun = Clock::now();
  faults.start();
  std::size_t next = 0;
  int seen_epoch = 0;
  const auto deadline =
      begun + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.duration_s + options.settle_s));
  while (Clock::now() < deadline) {
    while (next < starts.size() && Clock::now() - begun >= starts[next]) {
      const std::string address = "aci-host-" + std::to_string(next);
      say(address, outcome.hosts[next]->intake.first_message());
      outcome.hosts[next]->started = true;
      ++next;
    }
    // signal-cli has no acknowledgement: what was in the bot's socket at a fault is gone. As a
    // Signal server would, each waiting host's last message is delivered again (the same
    // timestamp: the bot's dedup must make it harmless).
    if (faults.epoch() != seen_epoch) {
      seen_epoch = faults.epoch();
      for (auto& [address, host] : by_address) {
        if (host->intake.awaiting_reply() && last_payload.count(address))
          fake.notify(last_payload[address]);
      }
    }
    if (next == starts.size() && faults.done() && all_done(outcome, notices)) break;
    dispatch(10ms);
  }
  faults.finish();
  wait_for([] { return false; }, 2s);
  outcome.seconds = std::chrono::duration<double>(Clock::now() - begun).count();
  outcome.fault_error = faults.error();
  for (int k = 0; k < 3; ++k) outcome.faults[k] = faults.done_count(static_cast<Fault::Kind>(k));
  outcome.new_cases = notices;
  bot.process->send_signal(SIGTERM);
  (void)bot.process->wait_for_exit(10s);
  outcome.bot_log = old_logs + bot.process->stderr_text();
  outcome.cases = export_cases_with(bot_command, dir.path());
  for (const auto& exported : outcome.cases) {
    if (exported.registered_name == host_name(options.hosts)) {
      outcome.baseline_fields = exported.fields;
      outcome.baseline_fields.erase("registered_name");
    }
  }
  runner = nullptr;
  return judge(options, outcome);
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  const Options options = parse(argc, argv);
  std::printf(
      "gvo-kill-campaign --transport %s --seed %u --hosts %d --bot-kills %d "
      "--relay-kills %d --stops %d --duration %.0f\n",
      options.transport.c_str(), options.seed, options.hosts, options.bot_kills,
      options.relay_kills, options.stops, options.duration_s);
  // The bot admits 20 messages a second from all hosts together (bursts of 600): a host sends
  // IntakeHost::answers_in_intake() messages, all of them started within 60 % of the duration.
  const double offered = static_cast<double>(options.hosts) *
                         static_cast<double>(IntakeHost::answers_in_intake()) /
                         (0.6 * options.duration_s);
  if (offered > 15 &&
      static_cast<std::size_t>(options.hosts) * IntakeHost::answers_in_intake() > 500)
    std::printf(
        "warning: %.0f messages a second from the hosts, over the bot's flood limit for "
        "all hosts (20 a second): some will be answered host.busy; give a longer "
        "--duration\n",
        offered);
  std::fflush(stdout);
  try {
    return options.transport == "relay" ? relay_campaign(options) : signal_cli_campaign(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gvo-kill-campaign: %s\n", e.what());
    return 1;
  }
}
