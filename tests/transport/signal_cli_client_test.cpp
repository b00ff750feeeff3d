// The signal-cli client against the fake daemon on a UNIX socket (tests/support/
// fake_signal_cli.hpp): answers out of order, notifications in both shapes between them, a daemon
// not up yet, restarted, stuck, or cutting a line in the middle.
#include "bot/transport/signal_cli_client.hpp"

#include <chrono>
#include <map>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using gvo::transport::CallErrc;
using gvo::transport::CallResult;
using gvo::transport::SignalCliClient;

namespace {

// Runs the loop until done() holds, or fails after the deadline.
template <typename Done>
void run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds deadline = 5s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(10ms);
  }
  REQUIRE(done());
}

struct Harness {
  gvo::test::TempDir dir;
  gvo::test::FakeSignalCli fake{dir.file("socket")};
  boost::asio::io_context io;
  int connected = 0;
  int disconnected = 0;
  std::vector<gvo::core::signal_cli::Envelope> envelopes;
  std::unique_ptr<SignalCliClient> client;

  explicit Harness(gvo::transport::SignalCliTimings timings = {}) {
    timings.first_backoff = 20ms;
    timings.max_backoff = 100ms;
    SignalCliClient::Handlers handlers;
    handlers.connected = [this] { ++connected; };
    handlers.disconnected = [this](const std::string&) { ++disconnected; };
    handlers.envelope = [this](const auto& envelope) { envelopes.push_back(envelope); };
    client = std::make_unique<SignalCliClient>(
        io, gvo::transport::SignalCliAddress{dir.file("socket"), "", 0}, handlers, timings);
  }
};

}  // namespace

TEST_CASE("signal-cli client: answers out of order reach their own request") {
  Harness h;
  h.fake.set_max_delay(30ms);
  h.fake.start();
  h.client->start();
  run_until(h.io, [&] { return h.connected == 1; });
  std::map<std::int64_t, std::string> answered;
  for (int i = 0; i < 50; ++i) {
    const std::string recipient = "aci-" + std::to_string(i);
    std::int64_t sent_id = 0;
    h.client->call(
        [&](std::int64_t id) {
          sent_id = id;
          return gvo::core::signal_cli::send_request(id, "", recipient, "hello");
        },
        [&, recipient, i](const CallResult& result) {
          REQUIRE_FALSE(result.failure);
          auto sent = gvo::core::signal_cli::read_send_result(result.response.result);
          REQUIRE(sent.ok());
          REQUIRE(sent->results.size() == 1);
          answered[i] = sent->results[0].uuid;
        });
    (void)sent_id;
  }
  // Notifications of both shapes come between the answers.
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-x", 1, "one", "+32400"));
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-y", 2, "two", "+32400"), true);
  run_until(h.io, [&] { return answered.size() == 50 && h.envelopes.size() == 2; });
  for (const auto& [i, uuid] : answered) CHECK(uuid == "aci-" + std::to_string(i));
  CHECK(h.envelopes[0].text == std::optional<std::string>("one"));
  CHECK(h.envelopes[1].subscription == std::optional<std::int64_t>(0));
  // The fake saw well-formed requests with distinct ids.
  std::set<std::int64_t> ids;
  for (const auto& request : h.fake.requests()) ids.insert(request["id"].get<std::int64_t>());
  CHECK(ids.size() == 50);
}

TEST_CASE(
    "signal-cli client: a daemon not up yet, then restarted: calls in flight fail, it reconnects") {
  Harness h;
  h.client->start();  // nothing listens yet
  h.io.run_for(100ms);
  CHECK(h.connected == 0);
  h.fake.start();
  run_until(h.io, [&] { return h.connected == 1; });
  h.fake.set_silent(true);
  std::optional<CallErrc> failure;
  h.client->call([](std::int64_t id) { return gvo::core::signal_cli::version_request(id); },
                 [&](const CallResult& result) { failure = result.failure; });
  h.io.run_for(50ms);
  h.fake.stop();
  run_until(h.io, [&] { return failure.has_value(); });
  CHECK(*failure == CallErrc::disconnected);
  CHECK(h.disconnected == 1);
  h.fake.set_silent(false);
  h.fake.start();
  run_until(h.io, [&] { return h.connected == 2; });
  bool answered = false;
  h.client->call([](std::int64_t id) { return gvo::core::signal_cli::version_request(id); },
                 [&](const CallResult& result) { answered = !result.failure; });
  run_until(h.io, [&] { return answered; });
}

TEST_CASE("signal-cli client: a stuck daemon is noticed by the version probe") {
  gvo::transport::SignalCliTimings timings;
  timings.probe_after = 200ms;
  timings.request_timeout = 1500ms;
  Harness h(timings);
  h.fake.start();
  h.client->start();
  run_until(h.io, [&] { return h.connected == 1; });
  h.fake.set_silent(true);  // accepts and reads, never answers
  run_until(
      h.io, [&] { return h.disconnected == 1; }, 8s);
  h.fake.set_silent(false);
  // The fake counts a connection when its thread accepts it, which may come after the client
  // is connected: both are waited for.
  run_until(h.io, [&] { return h.connected == 2 && h.fake.connections_accepted() >= 2; });
  CHECK(h.fake.connections_accepted() >= 2);
}

TEST_CASE("signal-cli client: a line cut in the middle is dropped, and the client reconnects") {
  Harness h;
  h.fake.start();
  h.client->start();
  run_until(h.io, [&] { return h.connected == 1; });
  h.fake.cut_mid_line();
  run_until(h.io, [&] { return h.connected == 2; });
  CHECK(h.envelopes.empty());
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-z", 3, "after", "+32400"));
  run_until(h.io, [&] { return h.envelopes.size() == 1; });
}
