#include "bot/chat/options.hpp"

#include <algorithm>
#include <cstdlib>

#include "bot/core/config.hpp"

namespace gvo::chat {
namespace {

constexpr const char* kUsage = R"(Usage: gvo-chat [options]

A terminal client of gvo-relay: talks, end-to-end encrypted, with one account (gvo-bot by
default). Type a line and press Enter to send it; replies appear as they arrive. Ctrl-D or
Ctrl-C ends.

Options:
  --relay [ws://|wss://]HOST:PORT
                      the relay (default 127.0.0.1:8787). Without a scheme: TLS (wss://)
                      unless HOST is this machine (127.0.0.0/8, ::1, localhost); plain ws://
                      to any other host is refused
  --tls               TLS even to this machine
  --ca-file FILE      trust the relay's certificate if FILE (PEM) signed it, instead of the
                      system's trusted authorities (its name must match HOST)
  --certificate-sha256 HEX
                      trust exactly the certificate with this SHA-256 (of its DER; colons and
                      spaces allowed: what `openssl x509 -noout -fingerprint -sha256` prints)
  --to ACCOUNT        who to talk with (default gvo-bot)
  --data DIR          this client's keys and messages (default gvo-chat-data), made owner-only;
                      its account name is chosen at the first run
  --account NAME      the account name to take at the first run (default: a random one); a
                      name already taken at the relay is refused there
  --claim CODE        the one-time code of the account the relay's admin made for you
                      (gvo-relay accounts add NAME); with --account NAME at the first run
  --enrol CODE        send "enrol CODE" first: the staff enrolment code GVO gave you
  --expect-bot FINGERPRINT
                      talk only if the bot's identity key has this fingerprint (what GVO
                      publishes: `gvo-bot fingerprint`); spaces are ignored
  --bot-fingerprint   print the fingerprint of the bot's key pinned here, and exit (the key is
                      pinned at the first conversation; a bot whose key changes is refused)
  --script FILE       instead of the keyboard: run FILE's lines, then exit 0 if every
                      expectation was met, 1 otherwise. Lines:
                        > TEXT       send TEXT
                        < TEXT       expect a message containing TEXT (next in order)
                        <~ REGEX     expect a message matching REGEX (next in order)
                        <* TEXT      expect a later message containing TEXT (those before
                                     it are passed over)
                        # ...        a comment
  --timeout SECONDS   how long each expectation may wait (default 20)
  --fingerprint       print the fingerprint of this client's identity key and exit (what a
                      GVO coordinator compares before `gvo-bot staff verify`)
  --verbose           log each step of the messaging on stderr (never message contents)
  --idle-timeout S    take the relay connection for dead after S seconds without any frame,
                      pings included (default 20)
  --version           print the version and exit
  -h, --help          print this help and exit

Exit status: 0 done, 1 a script failed or the relay or the bot was refused, 64 bad command
line (plain ws:// to another machine included), 78 the data folder cannot be used.
)";

bool takes_value(const std::string& arg) {
  static const char* const kWithValue[] = {"--relay",
                                           "--to",
                                           "--data",
                                           "--script",
                                           "--timeout",
                                           "--idle-timeout",
                                           "--account",
                                           "--claim",
                                           "--enrol",
                                           "--expect-bot",
                                           "--certificate-sha256",
                                           "--ca-file"};
  return std::find(std::begin(kWithValue), std::end(kWithValue), arg) != std::end(kWithValue);
}

Parsed usage_error(const std::string& text) {
  Parsed parsed;
  parsed.exit_status = kExitUsage;
  parsed.error = "gvo-chat: " + text + "\nTry 'gvo-chat --help'.\n";
  return parsed;
}

// --relay: the scheme, if any, says whether TLS is on. 0 plain, 1 TLS, -1 not said.
bool read_relay(const std::string& value, Options& options, int& scheme_tls) {
  std::string rest = value;
  if (rest.rfind("ws://", 0) == 0) {
    scheme_tls = 0;
    rest = rest.substr(5);
  } else if (rest.rfind("wss://", 0) == 0) {
    scheme_tls = 1;
    rest = rest.substr(6);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) > 65535 ||
      std::stol(port) == 0) {
    return false;
  }
  std::string host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;
  options.host = host;
  options.port = static_cast<unsigned short>(std::stol(port));
  return true;
}

}  // namespace

Parsed parse_options(const std::vector<std::string>& args) {
  Parsed parsed;
  Options& options = parsed.options;
  int scheme_tls = -1;
  bool tls_flag = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.exit_status = 0;
      parsed.output = kUsage;
      return parsed;
    }
    if (arg == "--version") {
      parsed.exit_status = 0;
      parsed.output = std::string("gvo-chat ") + GVO_VERSION + "\n";
      return parsed;
    }
    if (arg == "--fingerprint" || arg == "--bot-fingerprint" || arg == "--verbose" ||
        arg == "--tls") {
      (arg == "--fingerprint"       ? options.fingerprint
       : arg == "--bot-fingerprint" ? options.bot_fingerprint
       : arg == "--verbose"         ? options.verbose
                                    : tls_flag) = true;
      continue;
    }
    if (!takes_value(arg)) return usage_error("unknown option '" + arg + "'");
    if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
    const std::string& value = args[++i];
    if (arg == "--relay") {
      if (!read_relay(value, options, scheme_tls))
        return usage_error("--relay expects [ws://|wss://]HOST:PORT, got '" + value + "'");
    } else if (arg == "--to") {
      options.to = value;
    } else if (arg == "--data") {
      options.data_dir = value;
    } else if (arg == "--account") {
      if (value.empty() || value.size() > 64 ||
          value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
        return usage_error("--account expects up to 64 of a-z 0-9 - _, got '" + value + "'");
      }
      options.account = value;
    } else if (arg == "--claim" || arg == "--enrol") {
      if (value.empty() || value.size() > 64 ||
          value.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") !=
              std::string::npos) {
        return usage_error(arg + " expects a code of letters, digits and dashes");
      }
      (arg == "--claim" ? options.claim : options.enrol) = value;
    } else if (arg == "--expect-bot") {
      options.expect_bot = value;
      options.expect_bot.erase(
          std::remove(options.expect_bot.begin(), options.expect_bot.end(), ' '),
          options.expect_bot.end());
      if (options.expect_bot.empty() ||
          options.expect_bot.find_first_not_of("0123456789") != std::string::npos) {
        return usage_error("--expect-bot expects the bot's fingerprint (digits, spaces allowed)");
      }
    } else if (arg == "--certificate-sha256") {
      if (!core::parse_certificate_sha256(value)) {
        return usage_error(
            "--certificate-sha256 expects 64 hex digits (colons and spaces allowed), got '" +
            value + "'");
      }
      options.certificate_sha256 = value;
    } else if (arg == "--ca-file") {
      options.ca_file = value;
    } else if (arg == "--script") {
      options.script = value;
    } else {
      const int seconds = std::atoi(value.c_str());
      if (seconds <= 0) return usage_error(arg + " expects a number of seconds");
      (arg == "--timeout" ? options.timeout_s : options.idle_timeout_s) = seconds;
    }
  }
  const bool trust_given = !options.ca_file.empty() || !options.certificate_sha256.empty();
  if (scheme_tls == 0 && (tls_flag || trust_given)) {
    return usage_error("ws:// is plain: --tls, --ca-file and --certificate-sha256 need wss://");
  }
  options.tls = scheme_tls == 1 || tls_flag || trust_given ||
                (scheme_tls == -1 && !core::is_loopback_host(options.host));
  return parsed;
}

}  // namespace gvo::chat
