// gvo-chat: a terminal client of gvo-relay with its own Signal-protocol keys and sealed SQLite
// database. Talks with one account (the bot, usually): interactively (type a line, replies show
// as they arrive) or from a script of lines to send and replies to expect, for tests.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <openssl/rand.h>

#include "bot/daemon/log.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/messenger.hpp"
#include "storage/key_files.hpp"
#include "storage/store.hpp"

namespace {

namespace asio = boost::asio;
namespace log = gvo::daemon::log;

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;
constexpr int kExitScriptFailed = 1;

constexpr const char* kUsage = R"(Usage: gvo-chat [options]

A terminal client of gvo-relay: talks, end-to-end encrypted, with one account (gvo-bot by
default). Type a line and press Enter to send it; replies appear as they arrive. Ctrl-D or
Ctrl-C ends.

Options:
  --relay HOST:PORT   the relay (default 127.0.0.1:8787)
  --to ACCOUNT        who to talk with (default gvo-bot)
  --data DIR          this client's keys and messages (default gvo-chat-data), made owner-only;
                      its account name is chosen at the first run
  --account NAME      the account name to take at the first run (default: a random one); a
                      name already taken at the relay is refused there
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
)";

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 8787;
  std::string to = "gvo-bot";
  std::string data_dir = "gvo-chat-data";
  std::string account;  // first run: this name instead of a random one
  bool fingerprint = false;
  std::string script;
  int timeout_s = 20;
  int idle_timeout_s = 20;
};

int parse(const std::vector<std::string>& args, Options& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("gvo-chat %s\n", GVO_VERSION);
      return 0;
    }
    if (arg == "--fingerprint") {
      options.fingerprint = true;
      continue;
    }
    if (arg == "--verbose") {
      log::set_level(gvo::core::LogLevel::debug);
      continue;
    }
    if (i + 1 >= args.size() ||
        (arg != "--relay" && arg != "--to" && arg != "--data" && arg != "--script" &&
         arg != "--timeout" && arg != "--idle-timeout" && arg != "--account")) {
      std::fprintf(stderr, "gvo-chat: %s '%s'\nTry 'gvo-chat --help'.\n",
                   i + 1 >= args.size() ? "missing value or unknown option" : "unknown option",
                   arg.c_str());
      return kExitUsage;
    }
    const std::string& value = args[++i];
    if (arg == "--relay") {
      const auto colon = value.rfind(':');
      const std::string port = colon == std::string::npos ? "" : value.substr(colon + 1);
      if (port.empty() || port.size() > 5 ||
          port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) > 65535) {
        std::fprintf(stderr, "gvo-chat: --relay expects HOST:PORT, got '%s'\n", value.c_str());
        return kExitUsage;
      }
      options.host = value.substr(0, colon);
      options.port = static_cast<unsigned short>(std::stol(port));
    } else if (arg == "--to") {
      options.to = value;
    } else if (arg == "--data") {
      options.data_dir = value;
    } else if (arg == "--account") {
      if (value.empty() || value.size() > 64 ||
          value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
        std::fprintf(stderr, "gvo-chat: --account expects up to 64 of a-z 0-9 - _, got '%s'\n",
                     value.c_str());
        return kExitUsage;
      }
      options.account = value;
    } else if (arg == "--script") {
      options.script = value;
    } else {
      const int seconds = std::atoi(value.c_str());
      if (seconds <= 0) {
        std::fprintf(stderr, "gvo-chat: %s expects a number of seconds\n", arg.c_str());
        return kExitUsage;
      }
      (arg == "--timeout" ? options.timeout_s : options.idle_timeout_s) = seconds;
    }
  }
  return -1;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : random) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

// This client's relay account, chosen at the first run and kept in its database (the secret
// sealed).
gvo::transport::RelayAccount account_of(gvo::storage::Store& store, const Options& options) {
  gvo::transport::RelayAccount account;
  account.host = options.host;
  account.port = options.port;
  auto query = store.db().prepare(
      "SELECT (SELECT value FROM meta WHERE name = 'chat_account'), "
      "(SELECT value FROM meta WHERE name = 'chat_secret')");
  if (query && query->step() && !query->column_is_null(0)) {
    const auto name = query->column_blob(0);
    account.account.assign(name.begin(), name.end());
    auto secret = store.sealer().open({"meta", "value", "chat_secret"}, query->column_blob(1));
    if (secret) account.secret = secret.value();
    return account;
  }
  account.account = options.account.empty() ? "chat-" + random_hex(8) : options.account;
  account.secret = random_hex(24);
  auto sealed = store.sealer().seal({"meta", "value", "chat_secret"}, account.secret);
  auto insert = store.db().prepare(
      "INSERT INTO meta(name, value) VALUES ('chat_account', ?1), ('chat_secret', ?2)");
  if (sealed && insert) {
    insert->bind_blob(1, gvo::storage::Bytes(account.account.begin(), account.account.end()))
        .bind_blob(2, sealed.value());
    (void)store.db().transact([&] { return insert->run(); });
  }
  return account;
}

// One expectation or message of a script.
struct Step {
  enum Kind { send, expect, expect_pattern, expect_later } kind;
  std::string text;
  int line;
};

class Script {
 public:
  bool load(const std::string& path) {
    std::ifstream file(path);
    if (!file) return false;
    std::string line;
    int number = 0;
    while (std::getline(file, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("> ", 0) == 0) {
        steps_.push_back({Step::send, line.substr(2), number});
      } else if (line.rfind("<* ", 0) == 0) {
        steps_.push_back({Step::expect_later, line.substr(3), number});
      } else if (line.rfind("<~ ", 0) == 0) {
        steps_.push_back({Step::expect_pattern, line.substr(3), number});
      } else if (line.rfind("< ", 0) == 0) {
        steps_.push_back({Step::expect, line.substr(2), number});
      } else {
        std::fprintf(stderr, "gvo-chat: %s:%d: expected '> ', '< ', '<~ ', '<* ' or '#'\n",
                     path.c_str(), number);
        return false;
      }
    }
    return true;
  }
  std::deque<Step>& steps() { return steps_; }

 private:
  std::deque<Step> steps_;
};

class Chat {
 public:
  Chat(asio::io_context& io, gvo::transport::Messenger*& messenger, const Options& options)
      : io_(io),
        messenger_(messenger),
        options_(options),
        timer_(io),
        drain_timer_(io),
        input_(io) {}
  // input_ is declared after the script and the timer; it only needs io.

  bool scripted() const { return !options_.script.empty(); }
  int status() const { return status_; }

  bool load_script() { return script_.load(options_.script); }
  void use_keyboard(int fd) { input_.assign(fd); }

  void on_ready() {
    if (!announced_ && !scripted()) {
      std::printf("[connected; talking with %s — type a message and press Enter]\n",
                  options_.to.c_str());
      std::fflush(stdout);
    }
    if (!announced_) {
      announced_ = true;
      if (scripted()) {
        advance();
      } else {
        read_line();
      }
    }
  }

  void on_message(const gvo::transport::Inbound& inbound) {
    if (inbound.peer != options_.to) return;
    std::printf("%s> %s\n", inbound.peer.c_str(), inbound.text.c_str());
    std::fflush(stdout);
    if (!scripted()) return;
    received_.push_back(inbound.text);
    advance();
  }

 private:
  // Runs the script: sends until an expectation, then waits for it (or its timeout).
  void advance() {
    auto& steps = script_.steps();
    while (!steps.empty()) {
      Step& step = steps.front();
      if (step.kind == Step::send) {
        if (!send(step.text)) return finish(kExitScriptFailed, "could not queue a message");
        steps.pop_front();
        continue;
      }
      if (received_.empty()) return arm_timeout(step.line);
      const std::string got = received_.front();
      received_.pop_front();
      const bool met = step.kind == Step::expect_pattern
                           ? std::regex_search(got, std::regex(step.text))
                           : got.find(step.text) != std::string::npos;
      if (!met && step.kind == Step::expect_later) continue;  // passed over
      if (!met) {
        return finish(kExitScriptFailed, "line " + std::to_string(step.line) + ": expected '" +
                                             step.text + "', got '" + got + "'");
      }
      steps.pop_front();
    }
    drain();
  }

  // A script ends once everything it sent has reached the relay (or fails after the timeout).
  void drain() {
    if (messenger_->status().sent >= queued_) return finish(0, "");
    const auto now = std::chrono::steady_clock::now();
    if (!draining_) {
      draining_ = true;
      drain_deadline_ = now + std::chrono::seconds(options_.timeout_s);
    }
    if (now > drain_deadline_) return finish(kExitScriptFailed, "messages not delivered in time");
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) drain();
    });
  }

  void arm_timeout(int line) {
    timer_.expires_after(std::chrono::seconds(options_.timeout_s));
    timer_.async_wait([this, line](const boost::system::error_code& ec) {
      if (!ec) finish(kExitScriptFailed, "line " + std::to_string(line) + ": nothing came in time");
    });
  }

  bool send(const std::string& text) {
    if (!messenger_->send(options_.to, text)) return false;
    ++queued_;
    messenger_->flush();
    return true;
  }

  void read_line() {
    asio::async_read_until(input_, line_buffer_, '\n',
                           [this](const boost::system::error_code& ec, std::size_t) {
                             if (ec) return finish(0, "");  // end of input
                             std::istream in(&line_buffer_);
                             std::string line;
                             std::getline(in, line);
                             if (!line.empty() && !send(line)) {
                               std::fprintf(stderr, "gvo-chat: could not queue the message\n");
                             }
                             read_line();
                           });
  }

  void finish(int status, const std::string& why) {
    status_ = status;
    if (!why.empty()) std::fprintf(stderr, "gvo-chat: %s\n", why.c_str());
    io_.stop();
  }

  asio::io_context& io_;
  gvo::transport::Messenger*& messenger_;
  const Options& options_;
  asio::steady_timer timer_;
  asio::steady_timer drain_timer_;
  std::uint64_t queued_ = 0;
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  Script script_;
  std::deque<std::string> received_;
  asio::posix::stream_descriptor input_;
  asio::streambuf line_buffer_;
  bool announced_ = false;
  int status_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);
  log::set_program_name("gvo-chat");
  log::set_level(gvo::core::LogLevel::warning);
  Options options;  // --verbose lowers the level while parsing
  if (const int status = parse(std::vector<std::string>(argv + 1, argv + argc), options);
      status >= 0) {
    return status;
  }
  if (::mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "gvo-chat: cannot create %s: %s\n", options.data_dir.c_str(),
                 std::strerror(errno));
    return kExitConfig;
  }
  const std::string key_path = options.data_dir + "/sealing.key";
  auto key = gvo::storage::read_key_file(key_path);
  if (!key && key.code() == gvo::storage::Errc::key_missing)
    key = gvo::storage::create_key_file(key_path);
  if (!key) {
    std::fprintf(stderr, "gvo-chat: %s\n", gvo::storage::describe(key.error()).c_str());
    return kExitConfig;
  }
  auto store = gvo::storage::Store::open(options.data_dir + "/chat.db",
                                         gvo::storage::Sealer({std::move(key).value()}),
                                         gvo::storage::OpenMode::create_if_missing);
  if (!store) {
    std::fprintf(stderr, "gvo-chat: %s\n", gvo::storage::describe(store.error()).c_str());
    return kExitConfig;
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto endpoint = gvo::signal::Endpoint::open(store.value(), now_ms);
  if (!endpoint) {
    std::fprintf(stderr, "gvo-chat: %s\n", gvo::signal::describe(endpoint.error()).c_str());
    return kExitConfig;
  }

  if (options.fingerprint) {
    // What a coordinator compares with `gvo-bot staff list` before `staff verify`.
    std::printf("%s\n", gvo::signal::fingerprint_of(endpoint.value()->identity_key()).c_str());
    return 0;
  }

  asio::io_context io(1);
  gvo::transport::Messenger* messenger = nullptr;
  Chat chat(io, messenger, options);
  if (chat.scripted() && !chat.load_script()) {
    std::fprintf(stderr, "gvo-chat: cannot run script %s\n", options.script.c_str());
    return kExitUsage;
  }
  if (!chat.scripted()) chat.use_keyboard(::dup(STDIN_FILENO));

  gvo::transport::Messenger::Handlers handlers;
  handlers.ready = [&] { chat.on_ready(); };
  handlers.committed = [&](const gvo::transport::Inbound& inbound) { chat.on_message(inbound); };
  handlers.received = [](const gvo::transport::Inbound&) { return true; };
  handlers.identity_changed = [](const std::string& peer) {
    std::printf("[the safety number of %s changed]\n", peer.c_str());
    return true;
  };
  gvo::transport::RelayTimings timings;
  timings.idle_timeout = std::chrono::seconds(options.idle_timeout_s);
  gvo::transport::Messenger live(io, store.value(), *endpoint.value(),
                                 account_of(store.value(), options), handlers, timings);
  messenger = &live;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) io.stop();
  });
  live.start();
  io.run();
  live.stop();
  const auto& status = live.status();
  std::fprintf(stderr, "gvo-chat: sent %llu (%llu as pre-key messages), received %llu\n",
               static_cast<unsigned long long>(status.sent),
               static_cast<unsigned long long>(status.prekey_sent),
               static_cast<unsigned long long>(status.received));
  return chat.status();
}
