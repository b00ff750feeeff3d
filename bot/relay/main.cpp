// gvo-relay: the self-hosted store-and-forward relay for end-to-end encrypted messages between
// gvo-bot and gvo-chat (bot/relay/PROTOCOL.md). One thread, one io_context; SQLite keeps every
// message until its recipient acknowledges it.
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/daemon/hardening.hpp"
#include "bot/daemon/service_manager.hpp"
#include "bot/log/log.hpp"
#include "bot/relay/accounts_command.hpp"
#include "bot/relay/relay_server.hpp"
#include "bot/transport/event_loop.hpp"
#include "storage/migrations.hpp"

namespace {

namespace log = gvo::log;

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

constexpr const char* kUsage = R"(Usage: gvo-relay [options]
       gvo-relay accounts add|list|remove ... (gvo-relay accounts --help)

gvo-relay stores and forwards end-to-end encrypted messages between gvo-bot and gvo-chat
accounts (bot/relay/PROTOCOL.md). It never sees plaintext.

Accounts the bot and its staff use should be provisioned ('gvo-relay accounts add NAME' issues
a one-time claim code), so that nobody can take them by connecting first.

Options:
  --listen HOST:PORT   address to listen on (default 127.0.0.1:8787; port 0 picks a free one)
  --data DIR           folder for its database (default gvo-relay-data, created owner-only)
  --tls-cert FILE      serve wss:// with this certificate chain (PEM) ...
  --tls-key FILE       ... and this private key (PEM)
  --closed             refuse accounts it does not know yet (default: the first connection
                       of an unknown account registers it, unless its name is not allowed or
                       reads like a provisioned account)
  --port-file FILE     write the port listened on to FILE once ready

Limits (bot/relay/PROTOCOL.md, "Limits"; 0 turns one off). Over one, an upgrade is answered
429 (this address) or 503 (the relay as a whole) with the reason and a Retry-After:
  --max-connections N               connections at once, in all (default 4096)
  --max-connections-per-address N   connections at once from one IPv4 address or IPv6 /64
                                    (default 64)
  --new-accounts-per-minute N       accounts registering themselves, relay-wide, a minute
                                    (default 200, in bursts of as many)
  --new-accounts-per-address N      accounts registering themselves from one address, a minute
                                    (default 20, in bursts of as many)
  --sends-per-recipient N           messages one account may send to one recipient, a
                                    second (default 50, in bursts of 4 times as many); then
                                    429 with retry_after
  --sends-per-account N             messages one account may send to all recipients together,
                                    a second (default 2000, in bursts of 4 times as many):
                                    a ceiling for the bot, which writes to every host
  --pre-keys-per-requester N        one-time pre-keys one account may take from others'
                                    bundles, an hour (default 20); past it, bundles come
                                    without one
  --forget-idle-accounts-after DAYS self-registered accounts not seen for DAYS are removed
                                    with their keys and queued messages (default 30; those that
                                    never uploaded keys after an hour); provisioned accounts
                                    are never removed this way

  --version            print the version and exit
  -h, --help           print this help and exit

Exit status: 0 after SIGINT or SIGTERM, 64 bad command line, 78 cannot listen or open its data,
1 other failure.
)";

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 8787;
  std::string data_dir = "gvo-relay-data";
  std::string tls_cert;
  std::string tls_key;
  std::string port_file;
  bool open_registration = true;
  gvo::relay::FloodLimits flood;
  gvo::relay::RelayLimits service;
  gvo::relay::Retention retention;
};

std::optional<long> count(const std::string& text, long max) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const long value = std::stol(text);
  if (value > max) return std::nullopt;
  return value;
}

// The limit options: each a whole number from 0 (off) to max. Whether arg is one; problem set
// when its value is wrong.
bool parse_limit(const std::string& arg, const std::string& text, Options& options,
                 std::string& problem) {
  struct Limit {
    const char* name;
    long max;
    std::function<void(long)> set;
  };
  constexpr long kDayMs = 24L * 3600 * 1000;
  const Limit limits[] = {
      {"--max-connections", 1'000'000,
       [&](long n) { options.flood.max_connections = static_cast<std::size_t>(n); }},
      {"--max-connections-per-address", 1'000'000,
       [&](long n) { options.flood.max_connections_per_address = static_cast<std::size_t>(n); }},
      {"--new-accounts-per-minute", 1'000'000,
       [&](long n) { options.flood.new_accounts_per_minute = static_cast<double>(n); }},
      {"--new-accounts-per-address", 1'000'000,
       [&](long n) { options.flood.new_accounts_per_address_per_minute = static_cast<double>(n); }},
      {"--sends-per-recipient", 1'000'000,
       [&](long n) {
         options.service.sends_per_second = static_cast<double>(n);
         options.service.send_burst = 4.0 * static_cast<double>(n);
       }},
      {"--sends-per-account", 1'000'000,
       [&](long n) {
         options.service.account_sends_per_second = static_cast<double>(n);
         options.service.account_send_burst = 4.0 * static_cast<double>(n);
       }},
      {"--pre-keys-per-requester", 1'000'000,
       [&](long n) { options.service.pre_keys_per_requester_per_hour = static_cast<double>(n); }},
      {"--forget-idle-accounts-after", 36'500,
       [&](long n) {
         options.retention.idle_account_ms = n * kDayMs;
         if (n == 0) options.retention.keyless_account_ms = 0;
       }},
  };
  for (const Limit& limit : limits) {
    if (arg != limit.name) continue;
    if (const auto value = count(text, limit.max)) {
      limit.set(*value);
    } else {
      problem = arg + " expects a whole number from 0 to " + std::to_string(limit.max) + ", got '" +
                text + "'";
    }
    return true;
  }
  return false;
}

bool is_limit_option(const std::string& arg) {
  Options ignored;
  std::string problem;
  return parse_limit(arg, "0", ignored, problem);
}

// Each connection is a descriptor: the soft limit goes up to the hard one, and what the
// connection limit needs is checked.
void raise_descriptor_limit(const Options& options) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr rlim_t kOwnDescriptors = 64;  // database, listener, event loop, logs
  const rlim_t needed =
      options.flood.max_connections + options.flood.max_refusing + kOwnDescriptors;
  if (options.flood.max_connections > 0 && limit.rlim_cur < needed) {
    log::warning("the descriptor limit (" + std::to_string(limit.rlim_cur) +
                 ") is below what --max-connections " +
                 std::to_string(options.flood.max_connections) + " needs (" +
                 std::to_string(needed) + "): accepts will pause when it is reached");
  }
}

bool parse_listen(const std::string& text, Options& options) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  options.host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const long value = std::stol(port);
  if (value > 65535) return false;
  options.port = static_cast<unsigned short>(value);
  return true;
}

// Returns -1 to go on, or the exit status.
int parse(const std::vector<std::string>& args, Options& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* name) -> const std::string* {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "gvo-relay: %s needs a value\nTry 'gvo-relay --help'.\n", name);
        return nullptr;
      }
      return &args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("gvo-relay %s\n", GVO_VERSION);
      return 0;
    }
    if (arg == "--closed") {
      options.open_registration = false;
      continue;
    }
    const std::string* given = nullptr;
    if (arg == "--listen" || arg == "--data" || arg == "--tls-cert" || arg == "--tls-key" ||
        arg == "--port-file" || is_limit_option(arg)) {
      given = value(arg.c_str());
      if (given == nullptr) return kExitUsage;
    } else {
      std::fprintf(stderr, "gvo-relay: unknown option '%s'\nTry 'gvo-relay --help'.\n",
                   arg.c_str());
      return kExitUsage;
    }
    if (arg == "--listen" && !parse_listen(*given, options)) {
      std::fprintf(stderr, "gvo-relay: --listen expects HOST:PORT, got '%s'\n", given->c_str());
      return kExitUsage;
    }
    if (std::string problem; parse_limit(arg, *given, options, problem)) {
      if (problem.empty()) continue;
      std::fprintf(stderr, "gvo-relay: %s\n", problem.c_str());
      return kExitUsage;
    }
    if (arg == "--data") options.data_dir = *given;
    if (arg == "--tls-cert") options.tls_cert = *given;
    if (arg == "--tls-key") options.tls_key = *given;
    if (arg == "--port-file") options.port_file = *given;
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    std::fprintf(stderr, "gvo-relay: --tls-cert and --tls-key go together\n");
    return kExitUsage;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);
  gvo::log::set_program_name("gvo-relay");
  if (const std::string weak = gvo::daemon::harden_process(); !weak.empty())
    gvo::log::warning(weak);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "accounts") {
    return gvo::relay::run_accounts_command({args.begin() + 1, args.end()});
  }
  Options options;
  if (const int status = parse(args, options); status >= 0) return status;
  auto db = gvo::relay::open_relay_database(options.data_dir, true);
  if (!db) {
    log::error(gvo::storage::describe(db.error()));
    return kExitConfig;
  }
  raise_descriptor_limit(options);
  gvo::relay::RelayService service(db.value(), options.open_registration, options.service);
  gvo::relay::Hub hub(service, options.flood);
  hub.set_notice_log([](const std::string& line) { log::notice(line); });

  std::unique_ptr<boost::asio::ssl::context> tls;
  if (!options.tls_cert.empty()) {
    tls = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    boost::system::error_code ec;
    tls->set_options(boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                         boost::asio::ssl::context::no_tlsv1 |
                         boost::asio::ssl::context::no_tlsv1_1,
                     ec);
    if (!ec) tls->use_certificate_chain_file(options.tls_cert, ec);
    if (!ec) tls->use_private_key_file(options.tls_key, boost::asio::ssl::context::pem, ec);
    if (ec) {
      log::error("TLS certificate or key: " + ec.message());
      return kExitConfig;
    }
  }

  gvo::transport::EventLoop loop;
  gvo::relay::RelayServer server(loop.context(), hub, tls.get(), {}, options.retention);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options.host, ec);
  if (!ec) ec = server.listen({address, options.port});
  if (ec) {
    log::error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
               ec.message());
    return kExitConfig;
  }
  const int signal_number = loop.run_until_signal([&] {
    const std::string where = options.host + ":" + std::to_string(server.port());
    if (!options.port_file.empty()) {
      std::ofstream(options.port_file) << server.port() << "\n";
    }
    log::info(std::string("listening on ") + (tls ? "wss://" : "ws://") + where + "/v1/websocket" +
              (options.open_registration ? "" : " (registration closed)"));
    gvo::daemon::notify_ready("listening on " + where);
  });
  server.stop();
  gvo::daemon::notify_stopping();
  log::info(std::string("stopping on ") + (signal_number == 2 ? "SIGINT" : "SIGTERM"));
  return 0;
}
