// RelayClient's setup checks (pure, table-driven), and the client against a real gvo-relay on
// loopback serving TLS with a self-signed certificate made here: trusted by its CA file or its
// pin, refused otherwise; refused logins reported once per episode; claim codes.
#include "bot/transport/relay_client.hpp"

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using gvo::transport::LoginOutcome;
using gvo::transport::RelayAccount;
using gvo::transport::RelaySetupErrc;

namespace {

const std::string kRelay = GVO_RELAY_PATH;

RelayAccount account_at(const std::string& host, bool tls) {
  RelayAccount account;
  account.host = host;
  account.port = 9;
  account.account = "client-test";
  account.secret = "0123456789abcdef0123456789abcdef";
  account.tls.enabled = tls;
  return account;
}

// A TLS relay with a self-signed certificate for the name localhost (not for 127.0.0.1).
struct TlsRelay {
  gvo::test::TempDir dir;
  gvo::test::ReadyDaemon relay;
  unsigned short port = 0;
  std::string pin;  // the certificate's SHA-256, as openssl prints it

  explicit TlsRelay(const std::vector<std::string>& more = {}) {
    const auto made = gvo::test::run_to_completion(
        "/usr/bin/openssl",
        {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"},
        dir.path());
    REQUIRE(made.exit_code == 0);
    const auto printed = gvo::test::run_to_completion(
        "/usr/bin/openssl", {"x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256"},
        dir.path());
    REQUIRE(printed.exit_code == 0);
    pin = printed.out.substr(printed.out.find('=') + 1);
    pin = pin.substr(0, pin.find('\n'));
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--port-file", "port",      "--data",
                                  "relay",    "--tls-cert",  "cert.pem",    "--tls-key", "key.pem"};
    args.insert(args.end(), more.begin(), more.end());
    relay = gvo::test::start_ready(kRelay, args, dir.path(), "relay");
    std::ifstream(dir.file("port")) >> port;
    REQUIRE(port != 0);
  }

  RelayAccount account(const std::string& host = "localhost") const {
    RelayAccount account = account_at(host, true);
    account.port = port;
    return account;
  }
};

// What one client saw, until it connected or was refused (or the deadline passed).
struct Seen {
  bool connected = false;
  std::vector<std::pair<int, std::string>> refusals;
};

// Runs a client until it connects, or until it has been refused and `attempts` more refusals
// have shown in the relay's log (so that a repeated report would have been seen).
Seen run_client(const RelayAccount& account, const gvo::test::ChildProcess* relay_log = nullptr,
                int attempts = 0) {
  boost::asio::io_context io;
  Seen seen;
  gvo::transport::RelayClient::Handlers handlers;
  handlers.connected = [&] {
    seen.connected = true;
    io.stop();
  };
  handlers.refused = [&](int status, const std::string& reason) {
    seen.refusals.emplace_back(status, reason);
    if (attempts == 0) io.stop();
  };
  gvo::transport::RelayTimings timings;
  timings.first_backoff = 5ms;
  timings.max_backoff = 20ms;
  gvo::transport::RelayClient client(io, account, handlers, timings);
  boost::asio::steady_timer deadline(io, 20s);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  // The relay's log counts the refusals; polled from the loop (another process gives nothing
  // to wait on).
  boost::asio::steady_timer poll(io);
  std::function<void()> watch = [&] {
    poll.expires_after(10ms);
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      const std::string log = relay_log->stderr_text();
      std::size_t count = 0;
      for (auto at = log.find("upgrade refused"); at != std::string::npos;
           at = log.find("upgrade refused", at + 1)) {
        ++count;
      }
      if (count >= static_cast<std::size_t>(attempts) + 1) return io.stop();
      watch();
    });
  };
  if (attempts > 0) watch();
  client.start();
  io.run();
  return seen;
}

}  // namespace

TEST_CASE("relay setup: plain ws:// only to loopback, pins and CA files checked first") {
  struct Case {
    RelayAccount account;
    std::optional<RelaySetupErrc> refused;
  };
  RelayAccount bad_pin = account_at("relay.example.org", true);
  bad_pin.tls.certificate_sha256 = "ab:cd";
  RelayAccount good_pin = bad_pin;
  good_pin.tls.certificate_sha256 = std::string(64, 'a');
  RelayAccount missing_ca = account_at("relay.example.org", true);
  missing_ca.tls.ca_file = "/nonexistent/ca.pem";
  const Case cases[] = {
      {account_at("127.0.0.1", false), std::nullopt},
      {account_at("127.3.2.1", false), std::nullopt},
      {account_at("localhost", false), std::nullopt},
      {account_at("::1", false), std::nullopt},
      {account_at("192.0.2.1", false), RelaySetupErrc::insecure},
      {account_at("relay.example.org", false), RelaySetupErrc::insecure},
      {account_at("127.0.0.1.nip.io", false), RelaySetupErrc::insecure},
      {account_at("192.0.2.1", true), std::nullopt},
      {account_at("127.0.0.1", true), std::nullopt},
      {bad_pin, RelaySetupErrc::bad_pin},
      {good_pin, std::nullopt},
      {missing_ca, RelaySetupErrc::bad_ca_file},
  };
  for (const auto& each : cases) {
    INFO(each.account.host << " tls " << each.account.tls.enabled);
    const auto checked = gvo::transport::check_relay_setup(each.account);
    REQUIRE(checked.ok() == !each.refused);
    if (each.refused) CHECK(checked.code() == *each.refused);
  }
}

TEST_CASE("a client refused by its setup opens no connection and says why") {
  // TEST-NET-1: nothing answers there, so an attempt would hang rather than fail.
  const auto outcome = gvo::transport::login_once(account_at("192.0.2.1", false), 10s);
  CHECK(outcome.kind == LoginOutcome::Kind::refused);
  CHECK(outcome.status == 0);
  CHECK_THAT(outcome.reason,
             Catch::Matchers::Contains("plain ws:// is for a relay on this machine"));
}

TEST_CASE("an unreachable relay is reported as such once the deadline passes") {
  // A port nothing listens on: connection refused, tried again until the deadline.
  RelayAccount account = account_at("127.0.0.1", false);
  account.port = 1;
  const auto outcome = gvo::transport::login_once(account, 300ms);
  CHECK(outcome.kind == LoginOutcome::Kind::unreachable);
  CHECK_THAT(outcome.reason, Catch::Matchers::Contains("connect"));
}

TEST_CASE("TLS: the relay's certificate is trusted by its CA file or its pin, and only so") {
  TlsRelay relay;
  SECTION("the system's trust store does not know a self-signed certificate") {
    const Seen seen = run_client(relay.account());
    CHECK_FALSE(seen.connected);
    REQUIRE(seen.refusals.size() == 1);
    CHECK(seen.refusals[0].first == 0);
    CHECK_THAT(seen.refusals[0].second, Catch::Matchers::Contains("not trusted") &&
                                            Catch::Matchers::Contains("self-signed"));
  }
  SECTION("its CA file, for the name in the certificate") {
    RelayAccount account = relay.account("localhost");
    account.tls.ca_file = relay.dir.file("cert.pem");
    CHECK(run_client(account).connected);
  }
  SECTION("its CA file, but an address the certificate does not name") {
    RelayAccount account = relay.account("127.0.0.1");
    account.tls.ca_file = relay.dir.file("cert.pem");
    const Seen seen = run_client(account);
    CHECK_FALSE(seen.connected);
    REQUIRE(seen.refusals.size() == 1);
    CHECK_THAT(seen.refusals[0].second, Catch::Matchers::Contains("mismatch"));
  }
  SECTION("its pin, at any name (the pin alone decides)") {
    RelayAccount account = relay.account("127.0.0.1");
    account.tls.certificate_sha256 = relay.pin;
    CHECK(run_client(account).connected);
  }
  SECTION("another pin") {
    RelayAccount account = relay.account("localhost");
    std::string other = relay.pin;
    other[0] = other[0] == 'A' ? 'B' : 'A';
    account.tls.certificate_sha256 = other;
    const Seen seen = run_client(account);
    CHECK_FALSE(seen.connected);
    REQUIRE(seen.refusals.size() == 1);
    CHECK_THAT(seen.refusals[0].second, Catch::Matchers::Contains("not the pinned one") &&
                                            Catch::Matchers::Contains(relay.pin));
  }
  SECTION("plain ws:// to a TLS port is no login") {
    RelayAccount account = relay.account("127.0.0.1");
    account.tls.enabled = false;
    const auto outcome = gvo::transport::login_once(account, 500ms);
    CHECK(outcome.kind == LoginOutcome::Kind::unreachable);
  }
}

TEST_CASE("a refused login is reported once with the relay's reason, while the client retries") {
  TlsRelay relay({"--closed"});
  RelayAccount account = relay.account("localhost");
  account.tls.ca_file = relay.dir.file("cert.pem");
  const Seen seen = run_client(account, relay.relay.process.get(), 3);
  CHECK_FALSE(seen.connected);
  REQUIRE(seen.refusals.size() == 1);
  CHECK(seen.refusals[0].first == 403);
  CHECK(seen.refusals[0].second.size() > 3);
  CHECK(seen.refusals[0].second.find('\n') == std::string::npos);
}

TEST_CASE("a provisioned account is claimed with its code once, then logs in without it") {
  TlsRelay relay({"--closed"});
  const auto added = gvo::test::run_to_completion(
      kRelay, {"accounts", "add", "client-test", "--data", "relay"}, relay.dir.path());
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  const std::string code = added.out.substr(0, added.out.find('\n'));
  REQUIRE_FALSE(code.empty());
  RelayAccount account = relay.account("localhost");
  account.tls.certificate_sha256 = relay.pin;

  // Without the code, or with another, the relay refuses and says why.
  const auto without = gvo::transport::login_once(account, 10s);
  CHECK(without.kind == LoginOutcome::Kind::refused);
  CHECK(without.status == 403);
  RelayAccount wrong = account;
  wrong.claim = "AAAA-AAAA-AAAA";
  const auto wrong_code = gvo::transport::login_once(wrong, 10s);
  CHECK(wrong_code.kind == LoginOutcome::Kind::refused);
  CHECK(wrong_code.status == 403);

  account.claim = code;
  const auto claimed = gvo::transport::login_once(account, 10s);
  INFO(claimed.reason);
  CHECK(claimed.kind == LoginOutcome::Kind::accepted);
  account.claim.clear();
  CHECK(gvo::transport::login_once(account, 10s).kind == LoginOutcome::Kind::accepted);
  // Another secret for the claimed name: 401.
  account.secret = "another secret of enough length";
  const auto other = gvo::transport::login_once(account, 10s);
  CHECK(other.kind == LoginOutcome::Kind::refused);
  CHECK(other.status == 401);
}
