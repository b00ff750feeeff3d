// gvo-chat and gvo-bot as real processes against gvo-relay on loopback (port 0, temporary
// folders): TLS trusted by pin or CA file and refused otherwise; plain ws:// away from loopback
// refused before any connection; a bot the relay refuses says so and is never ready; the bot's
// identity key pinned by gvo-chat and checked; received text that cannot drive a terminal.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

const std::string kRelay = GVO_RELAY_PATH;
const std::string kBot = GVO_BOT_PATH;
const std::string kChat = GVO_CHAT_PATH;

struct Relay {
  gvo::test::ReadyDaemon daemon;
  std::string port;
  std::string pin;  // TLS only: the certificate's SHA-256 as openssl prints it
};

// A relay in dir/data; with tls, a self-signed certificate for localhost made first.
Relay start_relay(const gvo::test::TempDir& dir, const std::string& data, bool tls,
                  const std::vector<std::string>& more = {}) {
  Relay relay;
  std::vector<std::string> args{"--listen",     "127.0.0.1:0", "--port-file",
                                data + ".port", "--data",      data};
  if (tls) {
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
    relay.pin = printed.out.substr(printed.out.find('=') + 1);
    relay.pin = relay.pin.substr(0, relay.pin.find('\n'));
    args.insert(args.end(), {"--tls-cert", "cert.pem", "--tls-key", "key.pem"});
  }
  args.insert(args.end(), more.begin(), more.end());
  relay.daemon = gvo::test::start_ready(kRelay, args, dir.path(), data);
  std::ifstream(dir.file(data + ".port")) >> relay.port;
  REQUIRE_FALSE(relay.port.empty());
  return relay;
}

// An echoing bot's configuration in dir/name.json, its data in dir/data; relay: more keys of
// the relay object, each with a leading comma.
std::string bot_config(const gvo::test::TempDir& dir, const std::string& name,
                       const std::string& data, const std::string& port,
                       const std::string& relay = {}) {
  gvo::test::write_text(dir.file(name + ".json"),
                        "{\"data_dir\": \"" + data +
                            "\", \"replies\": \"echo\", \"sealing\": {\"create_key\": true}, "
                            "\"relay\": {\"port\": " +
                            port + relay + "}}");
  return name + ".json";
}

gvo::test::Completed chat(const gvo::test::TempDir& dir, std::vector<std::string> args,
                          const std::string& script_text) {
  gvo::test::write_text(dir.file("script.txt"), script_text);
  args.insert(args.end(), {"--script", "script.txt", "--timeout", "15"});
  return gvo::test::run_to_completion(kChat, args, dir.path());
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST_CASE("TLS relay: gvo-chat and gvo-bot refuse it untrusted, talk through it pinned or by CA") {
  gvo::test::TempDir dir;
  Relay relay = start_relay(dir, "relay", true);
  const std::string at_ip = "127.0.0.1:" + relay.port;
  const std::string at_name = "localhost:" + relay.port;

  // Untrusted: a self-signed certificate, no pin, no CA file.
  const auto refused = chat(dir, {"--relay", at_ip, "--tls", "--data", "chat-a"}, "> hi\n");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("cannot trust the relay") && Contains("self-signed") &&
                              Contains("--certificate-sha256"));
  gvo::test::ChildProcess untrusted_bot(
      kBot, {"--config", bot_config(dir, "untrusted", "bot", relay.port, ", \"tls\": true")},
      dir.path());
  CHECK(untrusted_bot.wait_for_stderr("cannot trust the relay", 20s));
  CHECK_THAT(untrusted_bot.stderr_text(), Contains("relay.certificate_sha256"));
  CHECK_THAT(untrusted_bot.stderr_text(), !Contains("ready, database schema"));
  untrusted_bot.send_signal(SIGTERM);
  CHECK(untrusted_bot.wait_for_exit(10s) == 0);

  // Pinned, at the address the certificate does not name: the pin alone decides.
  {
    auto bot = gvo::test::start_ready(
        kBot,
        {"--config", bot_config(dir, "pinned", "bot", relay.port,
                                ", \"certificate_sha256\": \"" + relay.pin + "\"")},
        dir.path(), "bot-pinned");
    const auto pinned =
        chat(dir, {"--relay", at_ip, "--certificate-sha256", relay.pin, "--data", "chat-a"},
             "> over tls\n< echo: over tls\n");
    INFO(pinned.err);
    CHECK(pinned.exit_code == 0);
    bot.process->send_signal(SIGTERM);
    CHECK(bot.process->wait_for_exit(10s) == 0);
  }
  // By CA file, at the name the certificate has.
  auto bot = gvo::test::start_ready(
      kBot,
      {"--config",
       bot_config(dir, "by-ca", "bot", relay.port,
                  ", \"host\": \"localhost\", \"ca_file\": \"" + dir.file("cert.pem") + "\"")},
      dir.path(), "bot-ca");
  const auto by_ca = chat(dir, {"--relay", at_name, "--ca-file", "cert.pem", "--data", "chat-b"},
                          "> by ca\n< echo: by ca\n");
  INFO(by_ca.err);
  CHECK(by_ca.exit_code == 0);
  // A CA file, but at an address the certificate does not name: refused, and why.
  const auto mismatch =
      chat(dir, {"--relay", at_ip, "--ca-file", "cert.pem", "--data", "chat-b"}, "> x\n");
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.err, Contains("mismatch"));
}

TEST_CASE("plain ws:// to another machine is refused before any connection is opened") {
  gvo::test::TempDir dir;
  // TEST-NET-1: nothing answers there, so a connection attempt would hang, not exit at once.
  const auto started = std::chrono::steady_clock::now();
  const auto chat_plain = gvo::test::run_to_completion(
      kChat, {"--relay", "ws://192.0.2.1:8787", "--data", "chat"}, dir.path());
  CHECK(chat_plain.exit_code == 64);
  CHECK_THAT(chat_plain.err, Contains("refused before connecting") && Contains("192.0.2.1"));
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // Without a scheme, a host elsewhere means TLS; --tls cannot go with ws://.
  CHECK(gvo::test::run_to_completion(kChat, {"--relay", "ws://127.0.0.1:1", "--tls"}, dir.path())
            .exit_code == 64);

  gvo::test::write_text(
      dir.file("plain.json"),
      R"({"data_dir": "bot", "sealing": {"create_key": true}, "relay": {"host": "192.0.2.1", "tls": false}})");
  const auto checked =
      gvo::test::run_to_completion(kBot, {"--check-config", "--config", "plain.json"}, dir.path());
  CHECK(checked.exit_code == 78);
  CHECK_THAT(checked.err, Contains("/relay/tls"));
  const auto run = gvo::test::run_to_completion(kBot, {"--config", "plain.json"}, dir.path());
  CHECK(run.exit_code == 78);
}

TEST_CASE("a bot the relay refuses logs why, keeps trying, and is never ready") {
  gvo::test::TempDir dir;
  Relay relay = start_relay(dir, "relay", false, {"--closed"});
  gvo::test::NotifySocket notify(dir.file("bot.notify"));
  gvo::test::ChildProcess bot(kBot, {"--config", bot_config(dir, "bot", "bot", relay.port)},
                              dir.path(), {"NOTIFY_SOCKET=" + notify.path()});
  REQUIRE(bot.wait_for_stderr("the relay refused the login as gvo-bot (403", 20s));
  CHECK_THAT(bot.stderr_text(), Contains("relay-claim"));
  // It keeps trying (the relay logs each refusal) and says it once, and is not ready.
  const auto refusals = [&] {
    const std::string log = relay.daemon.process->stderr_text();
    int count = 0;
    for (auto at = log.find("upgrade refused"); at != std::string::npos;
         at = log.find("upgrade refused", at + 1)) {
      ++count;
    }
    return count;
  };
  // Not ready meanwhile: each wait for the next refusal is a wait for READY=1 that must fail.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (refusals() < 3 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE_FALSE(notify.receive(50ms).has_value());
  }
  CHECK(refusals() >= 3);
  const std::string log = bot.stderr_text();
  CHECK(log.find("the relay refused") == log.rfind("the relay refused"));
  CHECK_THAT(log, !Contains("ready, database schema"));

  // Someone else claims the bot's name with its code: the bot's claim is refused, and why.
  const auto added = gvo::test::run_to_completion(
      kRelay, {"accounts", "add", "gvo-bot", "--data", "relay"}, dir.path());
  REQUIRE(added.exit_code == 0);
  const std::string code = first_line(added.out);
  const auto wrong = gvo::test::run_to_completion(
      kBot, {"relay-claim", "AAAA-BBBB-CCCC", "--config", "bot.json"}, dir.path());
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Contains("refused the claim as gvo-bot (403"));
  const auto claimed =
      gvo::test::run_to_completion(kBot, {"relay-claim", code, "--config", "bot.json"}, dir.path());
  INFO(claimed.err);
  CHECK(claimed.exit_code == 0);
  // Claimed: the running bot gets in on its next try and is ready.
  const auto ready = notify.receive(40s);
  REQUIRE(ready.has_value());
  CHECK_THAT(*ready, Contains("READY=1"));
  CHECK(bot.wait_for_stderr("ready, database schema version", 5s));
  bot.send_signal(SIGTERM);
  CHECK(bot.wait_for_exit(10s) == 0);

  // A bot whose name another claimed (401: another secret) is refused too.
  const auto other = gvo::test::run_to_completion(
      kBot, {"relay-claim", code, "--config", bot_config(dir, "other", "other", relay.port)},
      dir.path());
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Contains("refused the claim"));
}

TEST_CASE("gvo-chat pins the bot's key, checks --expect-bot, and refuses a bot whose key changed") {
  gvo::test::TempDir dir;
  Relay relay = start_relay(dir, "relay", false);
  const std::string config = bot_config(dir, "bot", "bot", relay.port);
  const auto printed =
      gvo::test::run_to_completion(kBot, {"fingerprint", "--config", config}, dir.path());
  REQUIRE(printed.exit_code == 0);
  const std::string fingerprint = first_line(printed.out);
  REQUIRE(fingerprint.size() > 20);
  auto bot = gvo::test::start_ready(kBot, {"--config", config}, dir.path(), "bot");
  const std::string at = "127.0.0.1:" + relay.port;

  const auto none =
      gvo::test::run_to_completion(kChat, {"--bot-fingerprint", "--data", "chat"}, dir.path());
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.out, Contains("no key of gvo-bot pinned yet"));
  std::string wrong = fingerprint;
  wrong[0] = wrong[0] == '1' ? '2' : '1';
  const auto refused = chat(dir, {"--relay", at, "--data", "chat", "--expect-bot", wrong},
                            "> hello\n< echo: hello\n");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("does not have the expected fingerprint") && Contains("sent 0"));
  CHECK_THAT(bot.process->stderr_text(), !Contains("peer "));  // nothing reached the bot

  const auto talked = chat(dir, {"--relay", at, "--data", "chat", "--expect-bot", fingerprint},
                           "> hello\n< echo: hello\n");
  INFO(talked.err);
  CHECK(talked.exit_code == 0);
  CHECK_THAT(talked.err, Contains("pinned the identity key of gvo-bot"));
  const auto pinned =
      gvo::test::run_to_completion(kChat, {"--bot-fingerprint", "--data", "chat"}, dir.path());
  CHECK(pinned.exit_code == 0);
  CHECK(first_line(pinned.out) == fingerprint);

  // The bot is installed again (a new relay, a new database): a new identity key.
  bot.process->send_signal(SIGTERM);
  CHECK(bot.process->wait_for_exit(10s) == 0);
  Relay second = start_relay(dir, "relay2", false);
  auto new_bot = gvo::test::start_ready(
      kBot, {"--config", bot_config(dir, "bot2", "bot2", second.port)}, dir.path(), "bot2");
  const auto changed =
      chat(dir, {"--relay", "127.0.0.1:" + second.port, "--data", "chat"}, "> hello\n");
  CHECK(changed.exit_code == 1);
  CHECK_THAT(changed.err, Contains("REFUSED: the identity key of gvo-bot is not the one pinned"));
  CHECK_THAT(changed.err, Contains("sent 0"));
  const auto still = chat(
      dir, {"--relay", "127.0.0.1:" + second.port, "--data", "chat", "--expect-bot", fingerprint},
      "> hello\n");
  CHECK(still.exit_code == 1);
  CHECK_THAT(still.err, Contains("REFUSED"));
}

TEST_CASE("gvo-chat: --enrol goes first, received control characters show escaped, long lines") {
  gvo::test::TempDir dir;
  Relay relay = start_relay(dir, "relay", false);
  auto bot = gvo::test::start_ready(kBot, {"--config", bot_config(dir, "bot", "bot", relay.port)},
                                    dir.path(), "bot");
  const std::string at = "127.0.0.1:" + relay.port;
  // An OSC 52 clipboard write, a carriage return and a right-to-left override, echoed back.
  const auto shown =
      chat(dir, {"--relay", at, "--data", "chat", "--enrol", "ABCD-2345"},
           "< echo: enrol ABCD-2345\n> copy \x1b]52;c;aGk=\x07 \r \xe2\x80\xae evil\n"
           "< echo: copy\n");
  INFO(shown.err);
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Contains("gvo-bot> echo: enrol ABCD-2345"));
  CHECK_THAT(shown.out, Contains("copy \\x1b]52;c;aGk=\\x07 \\x0d <U+202E> evil"));
  CHECK(shown.out.find('\x1b') == std::string::npos);
  CHECK(shown.out.find("\xe2\x80\xae") == std::string::npos);

  // A line over the limit is not sent, and said so.
  const auto too_long =
      chat(dir, {"--relay", at, "--data", "chat"}, "> " + std::string(20000, 'x') + "\n");
  CHECK(too_long.exit_code == 1);
  CHECK_THAT(too_long.err, Contains("over the limit of 16384: not sent"));
  gvo::test::write_text(dir.file("typed.txt"), std::string(20000, 'y') + "\nshort\n");
  const auto typed = gvo::test::run_to_completion(
      "/bin/sh", {"-c", "'" + kChat + "' --relay " + at + " --data chat < typed.txt"}, dir.path());
  CHECK_THAT(typed.err, Contains("over the limit of 16384: not sent"));
}
