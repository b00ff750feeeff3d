// The signal-cli transport in this process, with a real store and the fake daemon
// (tests/support/fake_signal_cli.hpp): how each of signal-cli's refusals of a send is handled (a
// message is dropped only when it can never be delivered; otherwise it stays in the outbox), a
// rate-limited send waits the delay signal-cli gives on the bot's (injected) clock, and a message
// that could not be taken in is kept and taken in later.
#include "bot/transport/signal_cli_transport.hpp"

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "storage/inbox.hpp"
#include "storage/outbox.hpp"
#include "storage/peers.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/fake_signal_cli.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

struct Harness {
  gvo::test::TempDir dir;
  gvo::test::FakeSignalCli fake{dir.file("socket")};
  boost::asio::io_context io;
  std::unique_ptr<gvo::storage::Store> store;
  std::unique_ptr<gvo::transport::SignalCliTransport> transport;

  explicit Harness(
      gvo::transport::SignalCliTransport::Handlers handlers = {},
      gvo::transport::SignalCliTimings timings = {},
      gvo::transport::SignalCliTransport::Clock clock = [] {
        return std::chrono::system_clock::now();
      }) {
    auto opened = gvo::storage::Store::open(dir.file("bot.db"),
                                            gvo::storage::Sealer({gvo::test::new_sealing_key()}),
                                            gvo::storage::OpenMode::create_if_missing);
    REQUIRE(opened.ok());
    store = std::make_unique<gvo::storage::Store>(std::move(opened).value());
    fake.set_receive_mode(gvo::test::FakeSignalCli::ReceiveMode::manual);  // as deployed
    fake.start();
    transport = std::make_unique<gvo::transport::SignalCliTransport>(
        io, *store, gvo::transport::SignalCliSettings{{dir.file("socket"), "", 0}, ""},
        std::move(handlers), std::move(clock), timings);
    transport->start();
  }

  ~Harness() { transport->stop(); }

  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds deadline = 5s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(10ms);
    }
    return done();
  }

  std::size_t outbox_rows() {
    auto rows = gvo::storage::Outbox(*store).waiting(1000);
    REQUIRE(rows.ok());
    return rows->size();
  }

  int sends(const std::string& to = {}) {
    int count = 0;
    for (const auto& request : fake.requests()) {
      count += request.value("method", "") == "send" &&
               (to.empty() || request["params"]["recipient"][0] == to);
    }
    return count;
  }
};

std::string refusal(const Json& id, int code, const std::string& message) {
  return Json{{"jsonrpc", "2.0"},
              {"error", {{"code", code}, {"message", message}, {"data", nullptr}}},
              {"id", id}}
      .dump();
}

}  // namespace

TEST_CASE("signal-cli transport: each refusal of a send drops or keeps the message") {
  struct Case {
    int code;
    const char* message;
    bool kept;
  };
  // From signal-cli's error table (../shared/reference/signal-cli-jsonrpc.md §1.5).
  const Case cases[] = {
      {-1, "Failed to send message", false},    // never deliverable (not registered...)
      {-32700, "Unexpected character", false},  // a request it cannot read: never sent
      {-32600, "method field must be set", false},
      {-3, "Update profile error", true},  // the network or the server: later
      {-4, "Failed to send message due to untrusted identities", true},
      {-5, "Failed to send message due to rate limiting", true},
      {-6, "Captcha rejected", true},            // the account is held
      {-32601, "Method not implemented", true},  // the operator must look
      {-32602, "Method requires valid account parameter", true},
      {-32603, "An internal server error has occurred. (IOException)", true},
  };
  for (const auto& each : cases) {
    INFO("code " << each.code);
    Harness h;
    h.fake.set_answer([&](const Json& request) -> std::string {
      if (request.value("method", "") != "send") return {};
      return refusal(request["id"], each.code, each.message);
    });
    REQUIRE(h.run_until([&] { return h.transport->connected(); }));
    REQUIRE(h.transport->send("aci-host", "a reply").ok());
    h.transport->flush();
    REQUIRE(h.run_until([&] { return h.sends() == 1; }));
    // The answer is taken: the message has left the outbox, or is counted as retried.
    REQUIRE(h.run_until([&] { return h.outbox_rows() == 0 || h.transport->status().retried > 0; }));
    CHECK((h.outbox_rows() == 1) == each.kept);
    CHECK(h.transport->status().sent == 0);
    h.fake.set_answer({});
  }
}

TEST_CASE("signal-cli transport: a rate-limited send waits retryAfterSeconds on the bot's clock") {
  // The bot's clock is injected: an hour passes without waiting for it.
  std::atomic<std::int64_t> seconds{0};
  const auto start = std::chrono::system_clock::now();
  Harness h({}, {}, [&] { return start + std::chrono::seconds(seconds.load()); });
  std::atomic<bool> refused{false};
  h.fake.set_answer([&](const Json& request) -> std::string {
    if (request.value("method", "") != "send" || refused.exchange(true)) return {};
    // Error -5, every recipient rate limited, as signal-cli answers it (no captcha token).
    const Json result = {{"recipientAddress", {{"uuid", "aci-one"}, {"number", nullptr}}},
                         {"type", "RATE_LIMIT_FAILURE"},
                         {"retryAfterSeconds", 3600}};
    return Json{{"jsonrpc", "2.0"},
                {"error",
                 {{"code", -5},
                  {"message", "Failed to send message due to rate limiting"},
                  {"data", {{"response", {{"timestamp", 1}, {"results", {result}}}}}}}},
                {"id", request["id"]}}
        .dump();
  });
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  REQUIRE(h.transport->send("aci-one", "to one").ok());
  h.transport->flush();
  REQUIRE(h.run_until([&] { return h.transport->status().retried == 1; }));
  // A second before the hour is up, the outbox is read again (a message to someone else): that
  // one leaves, the rate-limited one waits.
  seconds = 3599;
  REQUIRE(h.transport->send("aci-two", "to two").ok());
  h.transport->flush();
  REQUIRE(h.run_until([&] { return h.transport->status().sent == 1; }));
  CHECK(h.sends("aci-two") == 1);
  CHECK(h.sends("aci-one") == 1);
  // Once the hour is up, it goes again and is delivered.
  seconds = 3600;
  h.transport->flush();
  REQUIRE(h.run_until([&] { return h.transport->status().sent == 2; }));
  CHECK(h.sends("aci-one") == 2);
  CHECK(h.outbox_rows() == 0);
  h.fake.set_answer({});
}

TEST_CASE("signal-cli transport: a refused account holds every send, and one goes first") {
  Harness h;
  std::mutex mutex;
  int refused = 0;
  h.fake.set_answer([&](const Json& request) -> std::string {
    if (request.value("method", "") != "send") return {};
    std::lock_guard<std::mutex> lock(mutex);
    if (refused++ > 0) return {};
    return refusal(request["id"], -32602, "Method requires valid account parameter");
  });
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  REQUIRE(h.transport->send("aci-one", "to one").ok());
  h.transport->flush();
  REQUIRE(h.run_until([&] { return h.transport->status().retried > 0; }));
  // Others queued meanwhile wait too: nothing is sent while the account is held.
  REQUIRE(h.transport->send("aci-two", "to two").ok());
  REQUIRE(h.transport->send("aci-three", "to three").ok());
  h.transport->flush();
  h.run_until([] { return false; }, 300ms);
  CHECK(h.sends() == 1);
  CHECK(h.outbox_rows() == 3);
  h.fake.set_answer({});
}

TEST_CASE("signal-cli transport: a message that could not be taken in is kept and taken in later") {
  int tries = 0;
  std::vector<std::string> taken;
  gvo::transport::SignalCliTransport::Handlers handlers;
  handlers.received = [&](const gvo::transport::Inbound& inbound) -> gvo::storage::Result<void> {
    // The first try fails (as a desk whose transaction failed would), the next ones go through.
    if (++tries == 1) return gvo::storage::fail(gvo::storage::Errc::sql_failed, "for the test");
    taken.push_back(inbound.text);
    return {};
  };
  gvo::transport::SignalCliTimings timings;
  timings.retry_taking_in = 200ms;
  Harness h(handlers, timings);
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  h.fake.notify(
      gvo::test::FakeSignalCli::text_message("aci-host", 41, "BENALI Mohamed", "+32400000000"));
  REQUIRE(h.run_until([&] { return tries == 1; }));
  // Kept, sealed: the name is not in the database in clear.
  auto kept = gvo::storage::Inbox(*h.store).next_due();
  REQUIRE(kept.ok());
  CHECK(kept.value().has_value());
  REQUIRE(h.run_until([&] { return taken.size() == 1; }));
  CHECK(taken.front() == "BENALI Mohamed");
  CHECK(tries == 2);
  REQUIRE(h.run_until([&] { return !gvo::storage::Inbox(*h.store).next_due().value(); }));
  // Delivered again by signal-cli, it is a duplicate: taken once.
  h.fake.notify(
      gvo::test::FakeSignalCli::text_message("aci-host", 41, "BENALI Mohamed", "+32400000000"));
  REQUIRE(h.run_until([&] { return h.transport->status().duplicates == 1; }));
  CHECK(taken.size() == 1);
}

TEST_CASE("signal-cli transport: while commits fail, messages stay at Signal's server") {
  std::vector<std::string> taken;
  gvo::transport::SignalCliTransport::Handlers handlers;
  handlers.received = [&](const gvo::transport::Inbound& inbound) -> gvo::storage::Result<void> {
    taken.push_back(inbound.text);
    return {};
  };
  gvo::transport::SignalCliTimings timings;
  timings.retry_taking_in = 200ms;
  Harness h(handlers, timings);
  auto count = [&](const char* method) {
    int n = 0;
    for (const auto& request : h.fake.requests()) n += request.value("method", "") == method;
    return n;
  };
  REQUIRE(h.run_until([&] { return count("subscribeReceive") == 1; }));
  h.run_until([] { return false; }, 100ms);  // the subscription's answer
  // Another program holds the database's write lock: the bot's commit fails (after its wait).
  auto other =
      gvo::storage::Database::open(h.dir.file("bot.db"), gvo::storage::OpenMode::existing_only);
  REQUIRE(other.ok());
  REQUIRE(other->exec("BEGIN IMMEDIATE").ok());
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-one", 51, "first", "+32400000000"));
  REQUIRE(h.run_until([&] { return count("unsubscribeReceive") == 1; }, 15s));
  // Unsubscribed: what arrives now stays at the server.
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-two", 52, "second", "+32400000000"));
  h.run_until([] { return false; }, 100ms);
  CHECK(taken.empty());
  REQUIRE(other->exec("ROLLBACK").ok());
  // Commits work again: the first is taken from memory, the bot subscribes, the second comes.
  REQUIRE(h.run_until([&] { return taken.size() == 2; }, 15s));
  CHECK(taken == std::vector<std::string>{"first", "second"});
  CHECK(count("subscribeReceive") == 2);
}

TEST_CASE(
    "signal-cli transport: a forgotten person's keys and sessions are deleted in signal-cli") {
  Harness h;
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  h.transport->forget("host-uuid");
  Json forget;
  REQUIRE(h.run_until([&] {
    for (const auto& request : h.fake.requests()) {
      if (request.value("method", "") == "removeContact") forget = request;
    }
    return !forget.is_null();
  }));
  CHECK(forget["params"]["recipient"] == "host-uuid");
  CHECK(forget["params"]["forget"] == true);  // --forget: identity keys and sessions, not --hide
}

TEST_CASE(
    "signal-cli transport: a message signal-cli could not read is counted, and its sender "
    "asked once to write again") {
  std::vector<std::string> asked;
  gvo::transport::SignalCliTransport::Handlers handlers;
  handlers.sessionless = [&](const std::string& peer) -> gvo::storage::Result<void> {
    asked.push_back(peer);
    return {};
  };
  Harness h(handlers);
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  h.fake.notify(
      Json{{"account", "+32400000000"},
           {"exception", {{"message", "invalid"}, {"type", "ProtocolInvalidMessageException"}}},
           {"envelope",
            {{"source", "+32470"},
             {"sourceNumber", "+32470"},
             {"sourceUuid", "aci-broken"},
             {"sourceDevice", 1},
             {"timestamp", 9}}}});
  REQUIRE(h.run_until([&] { return h.transport->status().unreadable == 1; }));
  CHECK(asked == std::vector<std::string>{"aci-broken"});
  // Nothing of it is kept: no peer, no dedup row.
  auto peers = gvo::storage::Peers(*h.store).find("aci-broken");
  REQUIRE(peers.ok());
  CHECK(!peers.value().has_value());
}

// The account's own phone (signal-cli linked as a second device): its sync messages, and the
// NullPointerException 0.13.19 gives for some of them, are never a person to answer or to ask
// again; another person's are.
TEST_CASE("signal-cli transport: the account's own phone is never taken for a person") {
  std::vector<std::string> taken;
  std::vector<std::string> asked;
  gvo::transport::SignalCliTransport::Handlers handlers;
  handlers.received = [&](const gvo::transport::Inbound& inbound) -> gvo::storage::Result<void> {
    taken.push_back(inbound.peer);
    return {};
  };
  handlers.sessionless = [&](const std::string& peer) -> gvo::storage::Result<void> {
    asked.push_back(peer);
    return {};
  };
  Harness h(handlers);
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  const std::string account = "+32400000000";
  // A data message from the account's own number (its phone), and one it could not read.
  Json own = gvo::test::FakeSignalCli::text_message("aci-self", 61, "note to self", account);
  own["envelope"]["sourceNumber"] = account;
  h.fake.notify(own);
  Json own_unreadable =
      gvo::test::FakeSignalCli::unreadable_message("aci-self", 62, "NullPointerException", account);
  own_unreadable["envelope"]["sourceNumber"] = account;
  h.fake.notify(own_unreadable);
  // A sync message (what the phone sent to someone).
  Json sync = gvo::test::FakeSignalCli::text_message("aci-self", 63, "", account);
  sync["envelope"].erase("dataMessage");
  sync["envelope"]["sourceNumber"] = account;
  sync["envelope"]["syncMessage"] = {
      {"sentMessage", {{"destinationUuid", "aci-host"}, {"timestamp", 63}, {"message", "hi"}}}};
  h.fake.notify(sync);
  // Then a person: taken in, which says the three before were passed over.
  h.fake.notify(gvo::test::FakeSignalCli::text_message("aci-host", 64, "bonjour", account));
  REQUIRE(h.run_until([&] { return taken.size() == 1; }));
  h.run_until([] { return false; }, 100ms);
  CHECK(taken == std::vector<std::string>{"aci-host"});
  CHECK(asked.empty());
  CHECK(h.transport->status().unreadable == 0);
  CHECK(h.transport->status().ignored >= 3);
}

// Issue 19: a voice note or a photo is a person's message like any other, and what it is (not
// only its words) is kept, sealed, with it when it cannot be taken in, and is the same when it
// is taken in after a restart.
TEST_CASE("signal-cli transport: a voice note kept through a failed take-in is still one") {
  bool failing = true;
  std::vector<gvo::transport::Inbound> taken;
  gvo::transport::SignalCliTransport::Handlers handlers;
  handlers.received = [&](const gvo::transport::Inbound& inbound) -> gvo::storage::Result<void> {
    if (failing) return gvo::storage::fail(gvo::storage::Errc::sql_failed, "for the test");
    taken.push_back(inbound);
    return {};
  };
  gvo::transport::SignalCliTimings timings;
  timings.retry_taking_in = 200ms;
  Harness h(handlers, timings);
  REQUIRE(h.run_until([&] { return h.transport->connected(); }));
  using Other = gvo::test::FakeSignalCli::Other;
  const std::string account = "+32400000000";
  h.fake.notify(
      gvo::test::FakeSignalCli::other_message("aci-host", 71, Other::voice_note, account));
  h.fake.notify(
      gvo::test::FakeSignalCli::other_message("aci-host", 72, Other::picture, account, "badge"));
  auto held = [&] {
    auto due = gvo::storage::Inbox(*h.store).due(std::numeric_limits<std::int64_t>::max(), 10);
    REQUIRE(due.ok());
    return due->size();
  };
  REQUIRE(h.run_until([&] { return held() == 2; }));
  // The bot stops and starts again: what was kept is taken in from the inbox.
  h.transport->stop();
  failing = false;
  h.transport = std::make_unique<gvo::transport::SignalCliTransport>(
      h.io, *h.store, gvo::transport::SignalCliSettings{{h.dir.file("socket"), "", 0}, ""},
      handlers, [] { return std::chrono::system_clock::now(); }, timings);
  h.transport->start();
  REQUIRE(h.run_until([&] { return taken.size() == 2; }));
  CHECK(taken[0].kind == gvo::core::MessageKind::voice_note);
  CHECK(taken[0].text.empty());
  CHECK(taken[1].kind == gvo::core::MessageKind::picture);
  CHECK(taken[1].text == "badge");
  CHECK(held() == 0);
}
