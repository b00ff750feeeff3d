// gvo-signal-cli-bench: inbound messages through the fake signal-cli daemon into the desk (intake
// flow, a real SQLite store with synchronous=FULL), measured three ways:
//  1. inbound throughput: N messages from many hosts written at once, as fast as the bot takes
//     them in (commits are grouped: what arrived in one turn of the loop commits once);
//  2. end to end: until every reply has reached signal-cli;
//  3. latency at half the end-to-end rate, and at half the inbound rate, with the same traffic:
//     from a message written by signal-cli to the bot's first reply reaching it, p50 / p90 / p99.
// Prints figures; judges nothing (DESIGN §10 targets: >= 5000/s, p99 <= 25 ms).
// With --real, the same bot against the real signal-cli 0.13.19 on the local Signal network of
// tests/signal_cli_real (prepared by tests/run.sh when Java >= 21 is there): mock users write
// through Signal's mock server, signal-cli decrypts, the bot answers, the users decrypt; inbound
// messages/s and the first reply's p50/p99 as the user decrypted it, beside the fake's figures.
// The daemon, the mock server and the bot share the cores: compare ratios, not times.
//   gvo-signal-cli-bench [MESSAGES] [--real [REAL_MESSAGES]]   (default 20000; 100)
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "bot/desk/desk.hpp"
#include "bot/desk/flow_set.hpp"
#include "bot/log/log.hpp"
#include "bot/transport/signal_cli_transport.hpp"
#include "storage/checkpoints.hpp"
#include "storage/key_files.hpp"
#include "tests/bench/reference_bits.hpp"
#include "tests/signal_cli_real/local_network.hpp"
#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Bench {
  gvo::test::TempDir dir;
  gvo::test::FakeSignalCli fake{dir.file("signal-cli.sock")};
  boost::asio::io_context io;
  std::unique_ptr<gvo::storage::Store> store;
  std::unique_ptr<gvo::storage::BackgroundCheckpoints> checkpoints;
  std::unique_ptr<gvo::desk::FlowSet> flows;
  std::unique_ptr<gvo::desk::Desk> desk;
  std::unique_ptr<gvo::transport::SignalCliTransport> transport;
  std::thread loop;

  // socket: a real signal-cli's; "" for the fake.
  explicit Bench(const std::string& socket = "") {
    auto key = gvo::storage::SealingKey::generate();
    auto opened = gvo::storage::Store::open(dir.file("bot.db"),
                                            gvo::storage::Sealer({std::move(key).value()}),
                                            gvo::storage::OpenMode::create_if_missing);
    if (!opened) throw std::runtime_error("cannot open the store");
    store = std::make_unique<gvo::storage::Store>(std::move(opened).value());
    // As the bot does (bot/main.cpp): no message waits for a checkpoint.
    auto started = gvo::storage::BackgroundCheckpoints::start(store->db(), dir.file("bot.db"));
    if (!started) throw std::runtime_error("cannot start the checkpoints");
    checkpoints = std::move(started).value();
    flows = gvo::desk::load_flows(std::string(GVO_SOURCE_ROOT) + "/flows/defs");
    fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);  // as deployed
    if (socket.empty()) fake.start();
    desk = std::make_unique<gvo::desk::Desk>(
        *store, *flows, "intake",
        [this](const std::string& address, const std::string& text,
               gvo::storage::Audience audience) {
          return gvo::desk::outcome(transport->send(address, text, audience));
        },
        gvo::bench::counting_reference_bits(),
        [](const std::string&) { return std::optional<gvo::desk::Identity>(); },
        gvo::core::RetentionConfig{}, gvo::cases::RateLimitSettings{1e9, 1e9, 1e9, 1e9, 1e9, 1e9});
    gvo::transport::SignalCliTransport::Handlers handlers;
    handlers.received = [this](const gvo::transport::Inbound& inbound) {
      return desk->on_message(inbound.peer, inbound.text, std::chrono::system_clock::now());
    };
    transport = std::make_unique<gvo::transport::SignalCliTransport>(
        io, *store,
        gvo::transport::SignalCliSettings{
            {socket.empty() ? dir.file("signal-cli.sock") : socket, "", 0}, "", "GVO", 0, false},
        handlers, [] { return std::chrono::system_clock::now(); });
    boost::asio::post(io, [this] { transport->start(); });
    loop = std::thread([this] {
      auto work = boost::asio::make_work_guard(io);
      io.run();
    });
    while (!connected()) std::this_thread::sleep_for(5ms);
  }

  bool connected() {
    std::promise<bool> got;
    boost::asio::post(io, [&] { got.set_value(transport->connected()); });
    return got.get_future().get();
  }

  ~Bench() {
    boost::asio::post(io, [this] { transport->stop(); });
    io.stop();
    loop.join();
  }

  // CPU time the bot's thread has used so far: unlike wall time, hardly moved by other
  // programs on a shared machine.
  double loop_cpu_seconds() {
    std::promise<double> got;
    boost::asio::post(io, [&] {
      timespec spent{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spent);
      got.set_value(static_cast<double>(spent.tv_sec) + static_cast<double>(spent.tv_nsec) / 1e9);
    });
    return got.get_future().get();
  }

  // Reads the transport's counters on its own thread.
  gvo::transport::SignalCliStatus status() {
    std::promise<gvo::transport::SignalCliStatus> got;
    boost::asio::post(io, [&] { got.set_value(transport->status()); });
    return got.get_future().get();
  }
};

struct Figures {
  double inbound_rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// Host h's k-th message: an intake typed fast ("hello", "3 days", "vottem", a name, ...).
std::string answer(int k) {
  static const char* const kAnswers[] = {
      "hello", "3 days", "vottem", "DIALLO Mamadou", "guinean", "12/3", "no", "yes", "no", "yes"};
  return kAnswers[k % 10];
}

// Latency at a given rate, with the same kind of traffic as above (hosts going through their
// intakes, one message every 1/rate seconds in all). A message's latency ends when the bot's first
// reply to it reaches signal-cli (through the outbox, durable). A host writes again only once every
// other host has written, long after its last reply: the first send to it after its message is the
// reply to that message.

Figures measure_latency(double rate, const char* which, int messages) {
  Bench bench;
  const int paced_hosts = std::max(10, std::min(400, messages / 20));
  const int rounds = 10;
  const auto gap = std::chrono::duration<double>(1.0 / std::max(rate, 1.0));
  std::vector<std::pair<int, Clock::time_point>> written;  // (host, when)
  const double cpu_before = bench.loop_cpu_seconds();
  const auto start = Clock::now();
  int i = 0;
  for (int k = 0; k < rounds; ++k) {
    for (int h = 0; h < paced_hosts; ++h, ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(gap * i));
      written.emplace_back(h, Clock::now());
      bench.fake.notify(gvo::test::FakeSignalCli::text_message(
          "lat-" + std::to_string(h), 1773655200000 + i, answer(k), "+32400000000"));
    }
  }
  const double cpu = bench.loop_cpu_seconds() - cpu_before;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto status = bench.status();
  std::vector<double> latencies;
  const auto end = Clock::now() + 60s;
  while (Clock::now() < end) {
    const auto requests = bench.fake.requests();
    const auto times = bench.fake.request_times();
    std::vector<std::vector<Clock::time_point>> sends(static_cast<std::size_t>(paced_hosts));
    for (std::size_t r = 0; r < requests.size(); ++r) {
      if (requests[r].value("method", "") != "send") continue;
      const std::string to = requests[r]["params"]["recipient"][0];
      if (to.rfind("lat-", 0) != 0) continue;
      sends[static_cast<std::size_t>(std::stoi(to.substr(4)))].push_back(times[r]);
    }
    latencies.clear();
    for (const auto& [host, when] : written) {
      const auto& mine = sends[static_cast<std::size_t>(host)];
      const auto reply = std::lower_bound(mine.begin(), mine.end(), when);
      if (reply == mine.end()) break;
      latencies.push_back(std::chrono::duration<double, std::milli>(*reply - when).count());
    }
    if (latencies.size() == written.size()) break;
    std::this_thread::sleep_for(20ms);
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies.empty()
               ? 0.0
               : latencies[std::min(
                     latencies.size() - 1,
                     static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
  };
  std::printf(
      "latency at %.0f messages/s (%s), %zu messages of %d hosts in their intakes: first "
      "reply p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      rate, which, latencies.size(), paced_hosts, at(0.5), at(0.9), at(0.99),
      latencies.empty() ? 0.0 : latencies.back());
  std::printf("  meanwhile the bot's thread was busy %.0f %% of the time; %.1f messages a commit\n",
              100.0 * cpu / seconds,
              static_cast<double>(status.received) /
                  static_cast<double>(std::max<std::uint64_t>(1, status.commits)));
  return {0, at(0.5), at(0.99)};
}

// The real signal-cli on the local Signal network: users write as fast as the mock server takes
// it (inbound rate), then one message at a time, each until its first reply is decrypted by
// the user (latency).
std::optional<Figures> measure_real(int messages) {
  auto prepared = gvo::test::real::prepared(GVO_BUILD_DIR);
  if (!prepared) {
    std::printf(
        "real signal-cli: skipped (no local Signal network prepared in %s/signal_cli_real: "
        "tests/run.sh prepares it when a Java runtime >= 21 is there)\n",
        GVO_BUILD_DIR);
    return std::nullopt;
  }
  const std::vector<std::string> users = {"bench-0", "bench-1", "bench-2", "bench-3", "bench-4"};
  gvo::test::real::LocalNetwork network(*prepared, users);
  Bench bench(network.socket_path());
  Figures figures;
  const auto start = Clock::now();
  for (int i = 0; i < messages; ++i)
    network.send(users[static_cast<std::size_t>(i) % users.size()],
                 answer(i / static_cast<int>(users.size())));
  gvo::transport::SignalCliStatus status;
  do {
    std::this_thread::sleep_for(5ms);
    status = bench.status();
  } while (status.received + status.duplicates < static_cast<std::uint64_t>(messages) &&
           Clock::now() - start < 120s);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.inbound_rate = static_cast<double>(status.received) / seconds;
  std::printf(
      "real signal-cli: %llu of %d messages from %zu users taken in in %.2f s: %.1f messages/s "
      "(the users' sends through the mock server included)\n",
      static_cast<unsigned long long>(status.received), messages, users.size(), seconds,
      figures.inbound_rate);
  // Latency: a user writes once the answers to everything before have left (no send for 2 s).
  std::uint64_t sent = bench.status().sent;
  for (auto quiet_since = Clock::now(); Clock::now() - quiet_since < 2s;) {
    std::this_thread::sleep_for(100ms);
    if (const auto now_sent = bench.status().sent; now_sent != sent) {
      sent = now_sent;
      quiet_since = Clock::now();
    }
  }
  std::vector<double> latencies;
  const int paced = std::max(10, messages / 5);
  for (int i = 0; i < paced; ++i) {
    const std::string& user = users[static_cast<std::size_t>(i) % users.size()];
    const std::size_t before = network.inbox(user, 0, 0ms).size();
    const auto written = Clock::now();
    network.send(user, "help");  // answered at any point of a conversation
    if (network.inbox(user, before, 10s).empty()) continue;
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - written).count());
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies.empty()
               ? 0.0
               : latencies[std::min(
                     latencies.size() - 1,
                     static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
  };
  figures.p50_ms = at(0.5);
  figures.p99_ms = at(0.99);
  std::printf(
      "real signal-cli: latency, %zu of %d messages one at a time: first reply decrypted by the "
      "user p50 %.1f ms, p99 %.1f ms\n",
      latencies.size(), paced, figures.p50_ms, figures.p99_ms);
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  int real_messages = 0;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (const auto real = std::find(args.begin(), args.end(), "--real"); real != args.end()) {
    real_messages = 100;
    if (real + 1 != args.end() && std::atoi((real + 1)->c_str()) > 0) {
      real_messages = std::atoi((real + 1)->c_str());
      args.erase(real + 1);
    }
    args.erase(std::find(args.begin(), args.end(), "--real"));
  }
  const int messages = !args.empty() ? std::max(100, std::atoi(args[0].c_str())) : 20000;
  const int hosts = std::max(1, messages / 10);
  gvo::log::set_level(gvo::log::Level::warning);

  double answered_rate = 0;
  double inbound_rate = 0;
  {
    Bench bench;
    std::vector<nlohmann::json> payloads;
    std::int64_t timestamp = 1773655200000;
    for (int k = 0; k < messages / hosts; ++k) {
      for (int h = 0; h < hosts; ++h) {
        payloads.push_back(gvo::test::FakeSignalCli::text_message(
            "aci-" + std::to_string(h), ++timestamp, answer(k), "+32400000000"));
      }
    }
    const double cpu_before = bench.loop_cpu_seconds();
    const auto start = Clock::now();
    bench.fake.notify_many(payloads);
    gvo::transport::SignalCliStatus status;
    do {
      std::this_thread::sleep_for(2ms);
      status = bench.status();
    } while (status.received + status.duplicates < payloads.size() && Clock::now() - start < 300s);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = bench.loop_cpu_seconds() - cpu_before;
    const double inbound = static_cast<double>(status.received) / seconds;
    std::printf(
        "inbound: %llu messages from %d hosts taken in in %.2f s: %.0f messages/s, "
        "%llu commits (%.1f messages a commit), durable (synchronous=FULL)\n",
        static_cast<unsigned long long>(status.received), hosts, seconds, inbound,
        static_cast<unsigned long long>(status.commits),
        static_cast<double>(status.received) /
            static_cast<double>(std::max<std::uint64_t>(1, status.commits)));
    std::printf(
        "  the bot's thread was busy %.2f s of the %.2f s: %.0f messages per second of its CPU "
        "(replies sent meanwhile included)\n",
        cpu, seconds, static_cast<double>(status.received) / std::max(cpu, 1e-9));
    // End to end: until the last reply reached signal-cli (sends quiet for half a second).
    std::uint64_t sends = 0;
    auto last_change = Clock::now();
    while (Clock::now() - last_change < 500ms) {
      std::this_thread::sleep_for(50ms);
      const auto now_sends = bench.status().sent;
      if (now_sends != sends) {
        sends = now_sends;
        last_change = Clock::now();
      }
    }
    const double answered = std::chrono::duration<double>(last_change - start).count();
    answered_rate = static_cast<double>(status.received) / answered;
    inbound_rate = inbound;
    std::printf(
        "end to end: %llu replies, the last sent %.2f s after the start: %.0f messages/s "
        "answered\n",
        static_cast<unsigned long long>(sends), answered, answered_rate);
  }

  const Figures fake_latency =
      measure_latency(answered_rate / 2, "half the end-to-end rate", messages);
  measure_latency(inbound_rate / 2, "half the inbound rate", messages);
  if (real_messages > 0) {
    if (const auto real = measure_real(real_messages)) {
      std::printf(
          "real vs fake: inbound %.1f vs %.0f messages/s (ratio %.4f); first reply p99 %.1f ms "
          "(one message at a time, until the user decrypted it) vs %.2f ms (the fake, at half "
          "the end-to-end rate, until it reached the fake) (ratio %.2f)\n",
          real->inbound_rate, inbound_rate, real->inbound_rate / std::max(inbound_rate, 1e-9),
          real->p99_ms, fake_latency.p99_ms, real->p99_ms / std::max(fake_latency.p99_ms, 1e-9));
    }
  }
  return 0;
}
