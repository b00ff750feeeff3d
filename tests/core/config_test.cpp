#include "bot/core/config.hpp"

#include <string>

#include <catch2/catch.hpp>

using gvo::core::ConfigErrc;
using gvo::core::LogLevel;
using gvo::core::parse_config;

TEST_CASE("an empty object gives the defaults, the embedded defaults create a key") {
  const auto config = parse_config("{}", "test.json");
  REQUIRE(config.ok());
  CHECK(config->data_dir == "gvo-data");
  CHECK(config->database == "gvo-bot.db");
  CHECK(config->sealing.key_file == "sealing.key");
  CHECK_FALSE(config->sealing.create_key);
  CHECK(config->log_level == LogLevel::info);
  CHECK(gvo::core::embedded_defaults().sealing.create_key);
}

TEST_CASE("every setting is read") {
  const auto config = parse_config(R"({
    "data_dir": "/var/lib/gvo-bot",
    "database": "bot.db",
    "sealing": {"credential": "gvo-sealing-key", "retired_key_files": ["old1.key", "/keys/old2"]},
    "log": {"level": "debug"}
  })",
                                   "full.json");
  REQUIRE(config.ok());
  CHECK(config->data_dir == "/var/lib/gvo-bot");
  CHECK(config->database == "bot.db");
  CHECK(config->sealing.credential == "gvo-sealing-key");
  CHECK(config->sealing.retired_key_files == std::vector<std::string>{"old1.key", "/keys/old2"});
  CHECK(config->log_level == LogLevel::debug);
  CHECK(gvo::core::resolve_in_data_dir(*config, "bot.db") == "/var/lib/gvo-bot/bot.db");
  CHECK(gvo::core::resolve_in_data_dir(*config, "/keys/old2") == "/keys/old2");
}

TEST_CASE("each kind of bad configuration names its key path and what was expected") {
  struct Case {
    const char* json;
    ConfigErrc code;
    const char* message;
  };
  const Case cases[] = {
      {"", ConfigErrc::syntax, "bad.json: parse error at line 1, column 1"},
      {"{\"data_dir\": \"x\",}", ConfigErrc::syntax, "bad.json: parse error at line 1"},
      {"{\n\"log\": {\"level\": \"info\"}\n", ConfigErrc::syntax, "line 3"},
      {"[1, 2]", ConfigErrc::invalid, "bad.json: /: expected an object, got an array"},
      // Found by fuzz_session: a number too large for a double is an out_of_range, not a
      // parse_error, and escaped the parser.
      {"{\"data_dir\": 1E66666}", ConfigErrc::syntax, "number overflow"},
      {"{\"data_dri\": \"x\"}", ConfigErrc::invalid,
       "bad.json: /data_dri: unknown key (expected one of: data_dir, database, sealing, log, "
       "relay, replies, flows_dir, flow, retention, flood, test_clock_start, transport, "
       "signal_cli)"},
      {"{\"relay\": {\"port\": 70000}}", ConfigErrc::invalid,
       "/relay/port: expected a whole number from 1 to 65535, got 70000"},
      {"{\"relay\": {\"adress\": \"x\"}}", ConfigErrc::invalid, "/relay/adress: unknown key"},
      {"{\"replies\": \"parrot\"}", ConfigErrc::invalid, "/replies: expected flow or echo"},
      {"{\"data_dir\": 5}", ConfigErrc::invalid,
       "bad.json: /data_dir: expected a string, got a number"},
      {"{\"data_dir\": \"\"}", ConfigErrc::invalid, "/data_dir: expected a non-empty string"},
      {"{\"database\": null}", ConfigErrc::invalid, "/database: expected a string, got null"},
      {"{\"sealing\": \"key\"}", ConfigErrc::invalid, "/sealing: expected an object, got a string"},
      {"{\"sealing\": {\"keyfile\": \"k\"}}", ConfigErrc::invalid,
       "/sealing/keyfile: unknown key (expected one of: key_file, credential, retired_key_files, "
       "create_key)"},
      {"{\"sealing\": {\"create_key\": \"yes\"}}", ConfigErrc::invalid,
       "/sealing/create_key: expected true or false, got a string"},
      {"{\"sealing\": {\"retired_key_files\": \"old.key\"}}", ConfigErrc::invalid,
       "/sealing/retired_key_files: expected an array of strings, got a string"},
      {"{\"sealing\": {\"retired_key_files\": [\"a\", 3]}}", ConfigErrc::invalid,
       "/sealing/retired_key_files/1: expected a non-empty string"},
      {"{\"sealing\": {\"key_file\": \"k\", \"credential\": \"c\"}}", ConfigErrc::invalid,
       "/sealing: expected either key_file or credential, not both"},
      {"{\"sealing\": {\"credential\": \"c\", \"create_key\": true}}", ConfigErrc::invalid,
       "/sealing/create_key: expected false with a credential"},
      {"{\"sealing\": {\"credential\": \"../etc/key\"}}", ConfigErrc::invalid,
       "/sealing/credential: expected a credential name, not a path"},
      {"{\"log\": {\"level\": \"verbose\"}}", ConfigErrc::invalid,
       "/log/level: expected one of: error, warning, notice, info, debug"},
      {"{\"log\": []}", ConfigErrc::invalid, "/log: expected an object, got an array"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    const auto config = parse_config(c.json, "bad.json");
    REQUIRE_FALSE(config.ok());
    CHECK(config.code() == c.code);
    CHECK_THAT(config.error().detail, Catch::Matchers::Contains(c.message));
  }
}

TEST_CASE("every problem of a file is reported, one per line") {
  const auto config = parse_config(
      R"({"data_dir": 1, "extra": true, "log": {"level": 7}, "sealing": {"create_key": 0}})",
      "many.json");
  REQUIRE_FALSE(config.ok());
  const std::string& detail = config.error().detail;
  CHECK(std::count(detail.begin(), detail.end(), '\n') == 3);
  CHECK_THAT(detail, Catch::Matchers::Contains("many.json: /data_dir: expected a string"));
  CHECK_THAT(detail, Catch::Matchers::Contains("many.json: /extra: unknown key"));
  CHECK_THAT(detail, Catch::Matchers::Contains("many.json: /log/level: expected a string"));
  CHECK_THAT(detail, Catch::Matchers::Contains("many.json: /sealing/create_key: expected true"));
}

TEST_CASE("text of any script and length in a value is data, never a crash") {
  std::string long_name(1 << 20, 'x');
  const auto config = parse_config("{\"data_dir\": \"" + long_name + "\"}", "long.json");
  REQUIRE(config.ok());
  CHECK(config->data_dir.size() == long_name.size());
  const auto arabic = parse_config(R"({"data_dir": "بيانات"})", "ar.json");
  REQUIRE(arabic.ok());
  CHECK(arabic->data_dir == "بيانات");
  const auto invalid_utf8 = parse_config("{\"data_dir\": \"\xff\xfe\"}", "utf8.json");
  REQUIRE_FALSE(invalid_utf8.ok());
  CHECK(invalid_utf8.code() == ConfigErrc::syntax);
}

TEST_CASE("retention delays are read and bounded") {
  const auto config =
      parse_config(R"({"retention": {"conversation_days": 7, "closed_case_days": 90}})", "r.json");
  REQUIRE(config.ok());
  CHECK(config->retention.conversation_days == 7);
  CHECK(config->retention.closed_case_days == 90);
  CHECK(parse_config("{}", "d.json")->retention.conversation_days == 30);
  const auto bad = parse_config(R"({"retention": {"conversation_days": 0, "days": 3}})", "b.json");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().detail, Catch::Matchers::Contains("/retention/conversation_days"));
  CHECK_THAT(bad.error().detail, Catch::Matchers::Contains("/retention/days: unknown key"));
}

TEST_CASE("flood limits are read, bounded, and left to the desk's defaults when unset") {
  const auto config = parse_config(
      R"({"flood": {"all_hosts_per_minute": 6000, "all_hosts_burst": 3000}})", "f.json");
  REQUIRE(config.ok());
  CHECK(config->flood.all_hosts_per_minute == 6000);
  CHECK(config->flood.all_hosts_burst == 3000);
  CHECK_FALSE(config->flood.host_per_minute.has_value());
  CHECK_FALSE(parse_config("{}", "d.json")->flood.all_hosts_per_minute.has_value());
  const auto bad = parse_config(R"({"flood": {"staff_burst": 0, "everyone": 3}})", "b.json");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().detail, Catch::Matchers::Contains("/flood/staff_burst: expected a whole"));
  CHECK_THAT(bad.error().detail, Catch::Matchers::Contains("/flood/everyone: unknown key"));
}

TEST_CASE("the test clock is read, and a bad one is named") {
  const auto config = parse_config(R"({"test_clock_start": "2026-03-16T10:00:00Z"})", "t.json");
  REQUIRE(config.ok());
  CHECK(config->test_clock_start == "2026-03-16T10:00:00Z");
  CHECK(parse_config("{}", "x.json")->flow == "intake");
  for (const char* bad : {"16/03/2026 10:00", "2026-13-16T10:00:00Z", "2026-03-16T10:00:00",
                          "2026-03-16T25:00:00Z"}) {
    INFO(bad);
    const auto parsed =
        parse_config(std::string(R"({"test_clock_start": ")") + bad + "\"}", "bad.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().detail,
               Catch::Matchers::Contains("bad.json: /test_clock_start: expected a UTC time"));
  }
}

TEST_CASE("the signal-cli transport: a socket, or host and port") {
  const auto config = parse_config(
      R"({"transport": "signal-cli", "signal_cli": {"socket": "/run/signal-cli/socket",
          "host_expiration_seconds": 604800}})",
      "s.json");
  REQUIRE(config.ok());
  CHECK(config->transport == gvo::core::TransportKind::signal_cli);
  CHECK(config->signal_cli.socket == "/run/signal-cli/socket");
  CHECK(config->signal_cli.host_expiration_seconds == 604800);
  CHECK(config->signal_cli.profile_name == "Getting the Voice Out");
  CHECK(config->signal_cli.subscribe);  // receive_mode "manual", as deploy/signal-cli.service
  CHECK(config->signal_cli.typing_indicators);
  const auto other = parse_config(
      R"({"transport": "signal-cli", "signal_cli": {"socket": "/s",
          "receive_mode": "on-connection", "typing_indicators": false}})",
      "o.json");
  REQUIRE(other.ok());
  CHECK_FALSE(other->signal_cli.subscribe);
  CHECK_FALSE(other->signal_cli.typing_indicators);
  const auto wrong = parse_config(
      R"({"transport": "signal-cli", "signal_cli": {"socket": "/s", "receive_mode": "on-start"}})",
      "w.json");
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().detail,
             Catch::Matchers::Contains("w.json: /signal_cli/receive_mode: expected manual or"));
  for (
      const char* bad :
      {R"({"transport": "signal-cli"})", R"({"transport": "carrier pigeon"})",
       R"({"transport": "signal-cli", "signal_cli": {"socket": "/s", "host": "127.0.0.1", "port": 7583}})"}) {
    INFO(bad);
    CHECK_FALSE(parse_config(bad, "b.json").ok());
  }
}

TEST_CASE("relay TLS: on by default away from loopback, plain ws:// only to this machine") {
  struct Case {
    const char* json;
    bool ok;
    bool tls;
    const char* problem;
  };
  const Case cases[] = {
      {R"({})", true, false, ""},
      {R"({"relay": {"host": "localhost"}})", true, false, ""},
      {R"({"relay": {"host": "127.8.9.10"}})", true, false, ""},
      {R"({"relay": {"host": "::1"}})", true, false, ""},
      {R"({"relay": {"host": "relay.example.org"}})", true, true, ""},
      {R"({"relay": {"host": "192.0.2.1", "tls": true}})", true, true, ""},
      {R"({"relay": {"tls": true}})", true, true, ""},
      {R"({"relay": {"ca_file": "/etc/gvo-bot/relay-ca.pem"}})", true, true, ""},
      {R"({"relay": {"certificate_sha256": ")"
       R"(AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"}})",
       true, true, ""},
      {R"({"relay": {"host": "192.0.2.1", "tls": false}})", false, false,
       "/relay/tls: expected true: plain ws:// is for a relay on this machine only"},
      {R"({"relay": {"host": "127.0.0.1.example.org", "tls": false}})", false, false,
       "/relay/tls: expected true"},
      {R"({"relay": {"tls": false, "ca_file": "ca.pem"}})", false, false,
       "/relay/tls: expected true with ca_file or certificate_sha256"},
      {R"({"relay": {"certificate_sha256": "abcd"}})", false, false,
       "/relay/certificate_sha256: expected 64 hex digits"},
      {R"({"relay": {"tls": "yes"}})", false, false, "/relay/tls: expected"},
  };
  for (const auto& each : cases) {
    INFO(each.json);
    const auto config = parse_config(each.json, "relay.json");
    REQUIRE(config.ok() == each.ok);
    if (each.ok) {
      CHECK(config->relay.tls == each.tls);
    } else {
      CHECK_THAT(config.error().detail, Catch::Matchers::Contains(each.problem));
    }
  }
  const auto pinned = parse_config(
      R"({"relay": {"host": "relay.example.org", "ca_file": "ca.pem", "certificate_sha256": ")"
      R"(00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}})",
      "relay.json");
  REQUIRE(pinned.ok());
  CHECK(pinned->relay.ca_file == "ca.pem");
  CHECK(pinned->relay.certificate_sha256.size() == 64);
}

TEST_CASE("loopback hosts and certificate pins are recognised exactly") {
  const std::pair<const char*, bool> hosts[] = {
      {"127.0.0.1", true},
      {"127.255.255.254", true},
      {"localhost", true},
      {"LocalHost", true},
      {"::1", true},
      {"[::1]", true},
      {"0:0:0:0:0:0:0:1", true},
      {"128.0.0.1", false},
      {"127.0.0", false},
      {"127.0.0.1.", false},
      {"127.0.0.256", false},
      {"127.0.0.01", false},
      {"0177.0.0.1", false},
      {"127.1", false},
      {"", false},
      {"192.0.2.1", false},
      {"localhost.example.org", false},
      {"::2", false},
      {"::ffff:7f00:1", false},
      {"127.0.0.1 ", false},
  };
  for (const auto& [host, loopback] : hosts) {
    INFO(host);
    CHECK(gvo::core::is_loopback_host(host) == loopback);
  }
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const auto bytes = gvo::core::parse_certificate_sha256(hex);
  REQUIRE(bytes);
  CHECK(bytes->size() == 32);
  CHECK(bytes->at(0) == 0x00);
  CHECK(bytes->at(31) == 0x1f);
  std::string colons;
  for (std::size_t i = 0; i < hex.size(); i += 2) colons += (i ? ":" : "") + hex.substr(i, 2);
  CHECK(gvo::core::parse_certificate_sha256(colons) == bytes);
  const char* const bad[] = {"", "00", "0g" /* not hex */, "0", "abc", "-1"};
  for (const char* text : bad) CHECK_FALSE(gvo::core::parse_certificate_sha256(text));
  CHECK_FALSE(gvo::core::parse_certificate_sha256(hex + "00"));     // 33 bytes
  CHECK_FALSE(gvo::core::parse_certificate_sha256(hex.substr(1)));  // an odd digit count
  CHECK(gvo::core::parse_certificate_sha256(" AB " + hex.substr(2)) ==
        gvo::core::parse_certificate_sha256("ab" + hex.substr(2)));
}
