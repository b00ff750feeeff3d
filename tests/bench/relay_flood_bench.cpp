// A connection flood against a real gvo-relay (issue 13), on loopback, with its default limits:
// while flooders open and hold sockets as fast as they can, an honest client keeps connecting
// (its own address), upgrading and doing one request round trip. Prints, for each phase, the
// share of honest connections let in, their latency (p50, p99, max), and the relay's CPU (from
// /proc/PID/stat) and resident memory (/proc/PID/status) during the phase and after it.
// Not a test: run it by hand (README, "Benchmarks").
//   gvo-relay-flood-bench [SECONDS_PER_PHASE] [SOCKETS_HELD]   (defaults 5 and 3000)
// Phases: quiet; a flood from one address (SOCKETS_HELD held open, the oldest closed and a new
// one opened as fast as possible); quiet again after it; a flood from 100 addresses, each
// holding up to 80 (over the relay's total of 4096); quiet again.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "tests/relay/loopback_client.hpp"

namespace {

using namespace std::chrono_literals;
namespace lc = gvo::test::relay;
using Clock = std::chrono::steady_clock;

struct Sample {
  int attempts = 0;
  int admitted = 0;
  int refused = 0;  // an HTTP answer other than 101
  int failed = 0;   // no answer within 5 s, or the round trip failed
  std::vector<double> latency_ms;
  long peak_rss_kib = 0;
};

// One flooder thread: opens sockets from its addresses in turn, holding at most `hold`, closing
// the oldest to open the next.
void flood(const std::vector<std::string>& from, unsigned short port, std::size_t hold,
           const std::atomic<bool>& stop, std::atomic<long>& opened) {
  boost::asio::io_context io;
  std::deque<lc::tcp::socket> held;
  std::size_t next = 0;
  while (!stop.load()) {
    auto socket = lc::open_raw(io, from[next++ % from.size()], port);
    if (!socket) continue;
    ++opened;
    held.push_back(std::move(*socket));
    if (held.size() > hold) held.pop_front();
  }
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

Sample honest_client(const lc::RelayProcess& relay, std::chrono::seconds length) {
  Sample sample;
  const auto until = Clock::now() + length;
  while (Clock::now() < until) {
    ++sample.attempts;
    const auto started = Clock::now();
    lc::Client client("127.0.0.1", relay.port, "honest", "a-secret-of-enough-length", 5s);
    if (client.open()) {
      const auto answer = client.request("GET", "/v1/keepalive", lc::Json::object(), 5s);
      if (answer.is_object() && answer.value("status", 0) == 200) {
        ++sample.admitted;
        sample.latency_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - started).count());
      } else {
        ++sample.failed;
      }
    } else if (client.status() != 0) {
      ++sample.refused;
    } else {
      ++sample.failed;
    }
    sample.peak_rss_kib = std::max(sample.peak_rss_kib, lc::rss_kib(relay.pid()));
    std::this_thread::sleep_for(20ms);  // an honest client's pace: about 40 connections a second
  }
  return sample;
}

void print(const char* phase, const Sample& sample, double cpu_percent, long rss_end_kib,
           long opened) {
  std::printf(
      "%-34s honest: %4d/%4d let in (%5.1f%%), %d refused, %d failed; latency p50 %6.2f ms, "
      "p99 %7.2f ms, max %7.2f ms | relay CPU %5.1f%% of a core, RSS peak %6.1f MiB, at end "
      "%6.1f MiB",
      phase, sample.admitted, sample.attempts,
      sample.attempts ? 100.0 * sample.admitted / sample.attempts : 0.0, sample.refused,
      sample.failed, percentile(sample.latency_ms, 0.5), percentile(sample.latency_ms, 0.99),
      percentile(sample.latency_ms, 1.0), cpu_percent, mib(sample.peak_rss_kib), mib(rss_end_kib));
  if (opened >= 0) std::printf(" | flood opened %ld sockets", opened);
  std::printf("\n");
  std::fflush(stdout);
}

void phase(const char* name, const lc::RelayProcess& relay, std::chrono::seconds length,
           const std::vector<std::vector<std::string>>& flooders, std::size_t hold_each) {
  std::atomic<bool> stop{false};
  std::atomic<long> opened{0};
  std::vector<std::thread> threads;
  for (const auto& from : flooders) {
    threads.emplace_back([&, from] { flood(from, relay.port, hold_each, stop, opened); });
  }
  const double cpu_before = lc::cpu_seconds(relay.pid());
  const auto started = Clock::now();
  const Sample sample = honest_client(relay, length);
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu = 100.0 * (lc::cpu_seconds(relay.pid()) - cpu_before) / wall;
  stop = true;
  for (auto& thread : threads) thread.join();  // their sockets close as they end
  print(name, sample, cpu, lc::rss_kib(relay.pid()), flooders.empty() ? -1 : opened.load());
}

}  // namespace

int main(int argc, char** argv) {
  const auto seconds = std::chrono::seconds(argc > 1 ? std::max(1, std::atoi(argv[1])) : 5);
  const std::size_t held =
      argc > 2 ? static_cast<std::size_t>(std::max(10, std::atoi(argv[2]))) : 3000;
  lc::raise_own_descriptor_limit();
  gvo::test::TempDir dir;
  lc::RelayProcess relay(dir, GVO_RELAY_PATH);
  {
    lc::Client first("127.0.0.1", relay.port, "honest");  // registers the honest account
    if (!first.open()) {
      std::fprintf(stderr, "gvo-relay-flood-bench: the relay does not let the client in\n");
      return 1;
    }
  }
  std::printf(
      "gvo-relay with its default limits (64 connections per address, 4096 in all); "
      "%lld s a phase; start RSS %.1f MiB\n",
      static_cast<long long>(seconds.count()), mib(lc::rss_kib(relay.pid())));
  phase("quiet", relay, seconds, {}, 0);
  // Two flooder threads from one address, each holding half.
  phase("flood from one address", relay, seconds, {{"127.0.0.2"}, {"127.0.0.2"}}, held / 2);
  std::this_thread::sleep_for(3s);  // the relay notices the closed sockets, gives memory back
  phase("quiet, after it", relay, seconds, {}, 0);
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("127.0.1." + std::to_string(i + 1));
  const std::vector<std::string> half_a(many.begin(), many.begin() + 50);
  const std::vector<std::string> half_b(many.begin() + 50, many.end());
  phase("flood from 100 addresses", relay, seconds, {half_a, half_b}, 4000);
  std::this_thread::sleep_for(3s);
  phase("quiet, after it", relay, seconds, {}, 0);
  const std::string log = relay.log();
  std::printf("relay log: %zu bytes, %ld lines\n", log.size(),
              static_cast<long>(std::count(log.begin(), log.end(), '\n')));
  return 0;
}
