// gvo-relay-load-bench: many hosts in parallel doing GVO's whole intake through the real
// gvo-relay and gvo-bot processes (flow mode, every commit durable: synchronous=FULL), the hosts
// in this process (tests/campaign/). Measures, in one run on this machine:
//  1. libsignal-protocol-c's alternating encrypt/decrypt pairs per second (as gvo-relay-bench:
//     two endpoints in one process, stores in SQLite's page cache, no fsync);
//  2. the maximum rate: HOSTS intakes started at once; intakes/s and messages/s (the hosts'
//     answers and the bot's messages; each message is one encrypt and one decrypt, so one pair),
//     and the ratio of those pairs per second to 1 (DESIGN.md section 10: at least 0.6);
//  3. the reply latency at half that rate: LATENCY_HOSTS intakes started one after the other at
//     half the intakes/s of 2; from each answer a host sends to the question that follows it;
//     p50, p99 (target: p99 at most 25 ms).
// Not a test: run it by hand (README, "Benchmarks"); ctest only runs it briefly.
//   gvo-relay-load-bench [PAIRS] [HOSTS] [LATENCY_HOSTS]   (defaults 2000, 25, 100)
// GVO_BENCH_BOT_WRAPPER (words split at spaces) runs the bot under a program, which is given the
// bot's path and arguments after its own: perf record -g -o FILE --, say.
// The bot runs with flood limits for all hosts together (config "flood") well above what it can
// take in, as a server provisioned for many hosts at once would: the bench measures the
// pipeline, not the desk's default limits (20 messages a second from all hosts together).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bot/signal/endpoint.hpp"
#include "storage/store.hpp"
#include "tests/campaign/intake_host.hpp"
#include "tests/campaign/relay_stack.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace gvo;
using namespace gvo::campaign;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "gvo-relay-load-bench: %s\n", why.c_str());
  std::exit(1);
}

storage::Store open_store(const std::string& path) {
  auto key = storage::SealingKey::generate();
  auto store = storage::Store::open(path, storage::Sealer({std::move(key).value()}),
                                    storage::OpenMode::create_if_missing);
  if (!store) die(storage::describe(store.error()));
  return std::move(store).value();
}

// The same measure as gvo-relay-bench's first.
double library_pairs_per_second(const test::TempDir& dir, int pairs) {
  storage::Store alice_store = open_store(dir.file("alice.db"));
  storage::Store bob_store = open_store(dir.file("bob.db"));
  auto alice = signal::Endpoint::open(alice_store, 0);
  auto bob = signal::Endpoint::open(bob_store, 0);
  if (!alice || !bob) die("endpoints");
  auto upload = bob.value()->new_keys_for_upload(1);
  signal::KeyBundle bundle{upload->registration_id, 1, upload->identity_key, upload->signed_pre_key,
                           upload->pre_keys.front()};
  if (!alice.value()->start_session({"bob"}, bundle)) die("session");
  auto alice_group = alice_store.db().begin_group();
  auto bob_group = bob_store.db().begin_group();
  const std::string text(200, 'x');
  const auto started = Clock::now();
  for (int i = 0; i < pairs; ++i) {
    const bool from_alice = i % 2 == 0;
    auto& sender = from_alice ? *alice.value() : *bob.value();
    auto& receiver = from_alice ? *bob.value() : *alice.value();
    auto ciphertext = sender.encrypt({from_alice ? "bob" : "alice"}, text);
    if (!ciphertext) die("encrypt");
    auto plain = receiver.decrypt({from_alice ? "alice" : "bob"}, ciphertext.value());
    if (!plain || plain.value() != text) die("decrypt");
  }
  return pairs / std::chrono::duration<double>(Clock::now() - started).count();
}

struct Host {
  explicit Host(int index) : intake(host_name(index)) {}
  IntakeHost intake;
  std::unique_ptr<RelayPeer> peer;
  Clock::time_point sent_at;
  std::vector<double> latencies_ms;
  int sent = 0;
};

class Load {
 public:
  explicit Load(RelayStack& stack) : stack_(stack) {}

  Host& add(int index) {
    hosts_.push_back(std::make_unique<Host>(index));
    Host* host = hosts_.back().get();
    const std::string account = "host-" + std::to_string(index);
    host->peer = std::make_unique<RelayPeer>(
        io_, stack_.dir().file(account + ".db"), stack_.account(account),
        [host](const std::string& text) {
          auto answer = host->intake.on_message(text);
          if (!answer && !host->intake.finished()) return;
          host->latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - host->sent_at).count());
          if (!answer) return;
          host->sent_at = Clock::now();
          host->peer->say(*answer);
          ++host->sent;
        });
    return *host;
  }

  // Connected (its keys at the relay) before it is timed.
  void connect(Host& host) {
    host.peer->start();
    if (!run_until(
            io_, [&] { return host.peer->ready(); }, std::chrono::seconds(30)))
      die("a host did not connect");
  }

  void begin(Host& host) {
    host.sent_at = Clock::now();
    host.peer->say(host.intake.first_message());
    host.sent = 1;
  }

  bool run_until_finished(std::size_t from, std::chrono::seconds timeout) {
    return run_until(
        io_,
        [&] {
          for (std::size_t i = from; i < hosts_.size(); ++i)
            if (!hosts_[i]->intake.finished()) return false;
          return true;
        },
        timeout);
  }

  boost::asio::io_context& io() { return io_; }
  std::vector<std::unique_ptr<Host>>& hosts() { return hosts_; }

 private:
  RelayStack& stack_;
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<Host>> hosts_;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(at, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::max(10, std::atoi(argv[1])) : 2000;
  const int count = argc > 2 ? std::max(1, std::atoi(argv[2])) : 25;
  const int latency_count = argc > 3 ? std::max(1, std::atoi(argv[3])) : 100;
  test::TempDir dir;
  const double library = library_pairs_per_second(dir, pairs);
  std::printf(
      "libsignal-protocol-c, alternating encrypt/decrypt pairs: %.0f per second (%d pairs)\n",
      library, pairs);
  std::fflush(stdout);

  StackOptions options;
  options.coordinator = false;
  options.log_level = "warning";
  options.bot_settings =
      ", \"flood\": {\"all_hosts_per_minute\": 600000, \"all_hosts_burst\": 100000}";
  // GVO_BENCH_BOT_SETTINGS: more of the bot's configuration (", \"flows_dir\": \"...\"").
  if (const char* more = std::getenv("GVO_BENCH_BOT_SETTINGS")) options.bot_settings += more;
  if (const char* wrapper = std::getenv("GVO_BENCH_BOT_WRAPPER")) {
    std::istringstream words(wrapper);
    for (std::string word; words >> word;) options.bot_wrapper.push_back(word);
  }
  RelayStack stack(options);
  Load load(stack);

  // 2. The maximum rate: every host at once.
  for (int i = 0; i < count; ++i) load.connect(load.add(i));
  const auto started = Clock::now();
  for (auto& host : load.hosts()) load.begin(*host);
  if (!load.run_until_finished(0, std::chrono::seconds(60 + count)))
    die("the intakes did not finish: " + stack.bot_log().substr(0, 4000));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::size_t messages = 0;
  for (auto& host : load.hosts())
    messages += static_cast<std::size_t>(host->sent) + host->intake.transcript().size();
  const double intakes_per_second = count / seconds;
  const double messages_per_second = static_cast<double>(messages) / seconds;
  std::printf(
      "full intakes, %d hosts at once through gvo-relay and gvo-bot (durable): %.2f "
      "intakes/s, %.0f messages/s (%zu messages, %.0f per intake, in %.1f s)\n",
      count, intakes_per_second, messages_per_second, messages,
      static_cast<double>(messages) / count, seconds);
  std::printf(
      "ratio, the pairs the intakes carry (one per message) to library pairs: %.2f "
      "(target at least 0.6)\n",
      messages_per_second / library);
  std::fflush(stdout);
  for (auto& host : load.hosts()) host->peer->stop();

  // 3. Latency at half that rate: intakes begun one after the other.
  const std::size_t from = load.hosts().size();
  for (int i = 0; i < latency_count; ++i) load.connect(load.add(count + i));
  const double paced = intakes_per_second / 2;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / paced));
  const auto begun = Clock::now();
  std::size_t next = from;
  auto& hosts = load.hosts();
  const bool finished = run_until(
      load.io(),
      [&] {
        while (next < hosts.size() &&
               Clock::now() >= begun + interval * static_cast<long>(next - from))
          load.begin(*hosts[next++]);
        if (next < hosts.size()) return false;
        for (std::size_t i = from; i < hosts.size(); ++i)
          if (!hosts[i]->intake.finished()) return false;
        return true;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(120) +
                                                            interval * latency_count));
  if (!finished) die("the paced intakes did not finish");
  std::vector<double> latencies;
  for (std::size_t i = from; i < hosts.size(); ++i)
    latencies.insert(latencies.end(), hosts[i]->latencies_ms.begin(), hosts[i]->latencies_ms.end());
  std::printf(
      "reply latency at half that rate (%.2f intakes/s, %d intakes, %zu replies): p50 "
      "%.1f ms, p99 %.1f ms (target p99 at most 25 ms)\n",
      paced, latency_count, latencies.size(), percentile(latencies, 0.5),
      percentile(latencies, 0.99));
  for (std::size_t i = from; i < hosts.size(); ++i) hosts[i]->peer->stop();
  stack.terminate_bot();
  stack.terminate_relay();
  return 0;
}
