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

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <openssl/rand.h>

#include "bot/chat/bot_key_check.hpp"
#include "bot/chat/options.hpp"
#include "bot/chat/terminal_text.hpp"
#include "bot/daemon/hardening.hpp"
#include "bot/log/log.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/messenger.hpp"
#include "storage/key_files.hpp"
#include "storage/store.hpp"

namespace {

namespace asio = boost::asio;
namespace log = gvo::log;
using gvo::chat::kExitConfig;
using gvo::chat::kExitUsage;
using gvo::chat::kMaxLineBytes;
using gvo::chat::Options;

constexpr int kExitScriptFailed = 1;
constexpr int kExitRefused = 1;

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
gvo::transport::RelayAccount relay_of(const Options& options) {
  gvo::transport::RelayAccount account;
  account.host = options.host;
  account.port = options.port;
  account.tls = {options.tls, options.ca_file, options.certificate_sha256};
  return account;
}

gvo::transport::RelayAccount account_of(gvo::storage::Store& store, const Options& options) {
  gvo::transport::RelayAccount account = relay_of(options);
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
    if (announced_) return;
    announced_ = true;
    if (!scripted()) {
      std::printf("[connected; talking with %s — type a message and press Enter]\n",
                  options_.to.c_str());
      std::fflush(stdout);
    }
    // Staff enrolment: the code GVO gave is the first thing the bot reads from this client.
    if (!options_.enrol.empty() && !send("enrol " + options_.enrol)) {
      return finish(kExitScriptFailed, "could not queue the enrolment message");
    }
    if (scripted()) return advance();
    read_line();
  }

  void on_message(const gvo::transport::Inbound& inbound) {
    if (inbound.peer != options_.to) return;
    // What others write is shown so that it cannot drive this terminal (escape sequences,
    // reordering characters), and never cut silently.
    if (inbound.text.size() > kMaxLineBytes) {
      std::printf("[a message of %zu bytes from %s, over the limit of %zu: not shown]\n",
                  inbound.text.size(), inbound.peer.c_str(), kMaxLineBytes);
    } else {
      std::printf("%s> %s\n", inbound.peer.c_str(), gvo::chat::visible_text(inbound.text).c_str());
    }
    std::fflush(stdout);
    if (!scripted()) return;
    received_.push_back(inbound.text);
    advance();
  }

  // The bot's identity key changed from the one pinned here: nothing more is sent or shown.
  void on_identity_changed(const std::string& peer) {
    finish(kExitRefused, "REFUSED: the identity key of " + peer +
                             " changed from the one pinned here. Someone may be standing in for "
                             "it, or it was installed again. Nothing more is sent to it or shown "
                             "from it. Ask GVO for the bot's fingerprint (gvo-bot fingerprint) "
                             "before trusting a new key.");
  }

  void on_refused_bot(const std::string& why) { finish(kExitRefused, why); }

  void on_refused(const std::string& account, int status, const std::string& reason) {
    if (status == 0) {
      return finish(kExitRefused,
                    "cannot trust the relay at " + options_.host + ":" +
                        std::to_string(options_.port) + ": " + reason +
                        ". Give the relay's CA with --ca-file FILE or pin its certificate with "
                        "--certificate-sha256 HEX (ask the relay's admin for either)");
    }
    const std::string hint =
        status == 401 ? "the relay holds another secret for this name: someone else took it, or "
                        "this data folder is not the one that registered it"
                      : "if the relay's admin made this account for you, give its claim code "
                        "with --claim CODE (and --account NAME at the first run)";
    finish(kExitRefused, "the relay refused the login as " + account + " (" +
                             std::to_string(status) + ": " + reason + "): " + hint);
  }

  void finish(int status, const std::string& why) {
    if (finished_) return;
    finished_ = true;
    status_ = status;
    if (!why.empty()) std::fprintf(stderr, "gvo-chat: %s\n", why.c_str());
    io_.stop();
  }

 private:
  // Runs the script: sends until an expectation, then waits for it (or its timeout).
  void advance() {
    auto& steps = script_.steps();
    while (!steps.empty()) {
      Step& step = steps.front();
      if (step.kind == Step::send) {
        if (step.text.size() > kMaxLineBytes) {
          return finish(kExitScriptFailed,
                        "line " + std::to_string(step.line) + ": " + too_long(step.text.size()));
        }
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

  static std::string too_long(std::size_t bytes) {
    return "the message is " + std::string(bytes > kMaxLineBytes + 1 ? "over " : "") +
           std::to_string(std::min(bytes, kMaxLineBytes + 1)) + " bytes, over the limit of " +
           std::to_string(kMaxLineBytes) + ": not sent";
  }

  // A line longer than the limit is not sent, and said so (the buffer stops at the limit; the
  // rest of that line is passed over).
  void read_line() {
    asio::async_read_until(
        input_, line_buffer_, '\n', [this](const boost::system::error_code& ec, std::size_t size) {
          if (ec == asio::error::not_found) {
            if (!passing_over_) std::fprintf(stderr, "gvo-chat: %s\n", too_long(size + 1).c_str());
            passing_over_ = true;
            line_buffer_.consume(line_buffer_.size());
            return read_line();
          }
          if (ec) return finish(0, "");  // end of input
          std::string line(
              asio::buffers_begin(line_buffer_.data()),
              asio::buffers_begin(line_buffer_.data()) + static_cast<std::ptrdiff_t>(size));
          line_buffer_.consume(size);
          if (passing_over_) {
            passing_over_ = false;  // the end of the line that was too long
            return read_line();
          }
          line.pop_back();  // the newline
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.size() > kMaxLineBytes) {
            std::fprintf(stderr, "gvo-chat: %s\n", too_long(line.size()).c_str());
          } else if (!line.empty() && !send(line)) {
            std::fprintf(stderr, "gvo-chat: could not queue the message\n");
          }
          read_line();
        });
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
  asio::streambuf line_buffer_{kMaxLineBytes + 2};  // the line, its \r\n
  bool passing_over_ = false;
  bool announced_ = false;
  bool finished_ = false;
  int status_ = 0;
};

// What --bot-fingerprint prints: the bot's key pinned here, if any.
int print_bot_fingerprint(gvo::signal::Endpoint& endpoint, const Options& options) {
  auto pinned = endpoint.peer_identity_key({options.to});
  if (!pinned) {
    std::fprintf(stderr, "gvo-chat: %s\n", gvo::signal::describe(pinned.error()).c_str());
    return kExitConfig;
  }
  if (!pinned.value()) {
    std::printf("no key of %s pinned yet: it is pinned at the first conversation\n",
                options.to.c_str());
    return 1;
  }
  std::printf("%s\n", gvo::signal::fingerprint_of(*pinned.value()).c_str());
  return 0;
}

// --expect-bot against a key already pinned: refused at once, without connecting.
std::string pinned_mismatch(gvo::signal::Endpoint& endpoint, const Options& options) {
  if (options.expect_bot.empty()) return {};
  auto pinned = endpoint.peer_identity_key({options.to});
  if (!pinned || !pinned.value()) return {};
  const std::string fingerprint = gvo::signal::fingerprint_of(*pinned.value());
  if (gvo::chat::fingerprint_digits(fingerprint) == options.expect_bot) return {};
  return "REFUSED: the key of " + options.to +
         " pinned here does not have the expected "
         "fingerprint.\n  expected: " +
         options.expect_bot + "\n  pinned:   " + fingerprint + "\nNothing was sent.";
}

}  // namespace

int main(int argc, char** argv) {
  ::umask(077);
  log::set_program_name("gvo-chat");
  log::set_level(gvo::log::Level::warning);
  if (const std::string weak = gvo::daemon::harden_process(); !weak.empty())
    gvo::log::warning(weak);
  const auto parsed = gvo::chat::parse_options(std::vector<std::string>(argv + 1, argv + argc));
  std::fputs(parsed.output.c_str(), stdout);
  std::fputs(parsed.error.c_str(), stderr);
  if (parsed.exit_status >= 0) return parsed.exit_status;
  const Options& options = parsed.options;
  if (options.verbose) log::set_level(gvo::log::Level::debug);
  // Refused here, before the data folder is opened or anything is connected.
  if (auto setup = gvo::transport::check_relay_setup(relay_of(options)); !setup) {
    std::fprintf(stderr, "gvo-chat: refused before connecting: %s\n", setup.error().detail.c_str());
    return kExitUsage;
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
  if (options.bot_fingerprint) return print_bot_fingerprint(*endpoint.value(), options);
  if (const std::string mismatch = pinned_mismatch(*endpoint.value(), options); !mismatch.empty()) {
    std::fprintf(stderr, "gvo-chat: %s\n", mismatch.c_str());
    return kExitRefused;
  }

  asio::io_context io(1);
  gvo::transport::Messenger* messenger = nullptr;
  Chat chat(io, messenger, options);
  if (chat.scripted() && !chat.load_script()) {
    std::fprintf(stderr, "gvo-chat: cannot run script %s\n", options.script.c_str());
    return kExitUsage;
  }
  if (!chat.scripted()) chat.use_keyboard(::dup(STDIN_FILENO));

  gvo::transport::RelayAccount account = account_of(store.value(), options);
  gvo::transport::Messenger::Handlers handlers;
  handlers.ready = [&] { chat.on_ready(); };
  handlers.committed = [&](const gvo::transport::Inbound& inbound) { chat.on_message(inbound); };
  handlers.received = [](const gvo::transport::Inbound&) -> gvo::storage::Result<void> {
    return {};
  };
  handlers.identity_changed = [&](const std::string& peer) -> gvo::storage::Result<bool> {
    if (peer != options.to) {
      std::printf("[the safety number of %s changed]\n", peer.c_str());
      return true;
    }
    chat.on_identity_changed(peer);
    return false;  // the new key is refused: its messages stay unread, nothing is encrypted to it
  };
  handlers.refused = [&](int status, const std::string& reason) {
    chat.on_refused(account.account, status, reason);
  };
  gvo::transport::RelayTimings timings;
  timings.idle_timeout = std::chrono::seconds(options.idle_timeout_s);
  // The claim code goes with the first login only (the key check's); the relay knows the secret
  // after it.
  gvo::transport::RelayAccount messenger_account = account;
  messenger_account.claim.clear();
  account.claim = options.claim;
  gvo::transport::Messenger live(io, store.value(), *endpoint.value(), messenger_account, handlers,
                                 timings);
  messenger = &live;
  bool live_started = false;
  gvo::chat::BotKeyCheck key_check(
      io, *endpoint.value(), account, options.to, options.expect_bot, handlers.refused,
      [&](const gvo::chat::KeyCheckOutcome& outcome) {
        if (!outcome.go_on) return chat.on_refused_bot(outcome.message);
        if (!outcome.message.empty())
          std::fprintf(stderr, "gvo-chat: %s\n", outcome.message.c_str());
        // Posted: the check's connection is closed from inside its own callback first.
        asio::post(io, [&] {
          live_started = true;
          live.start();
        });
      });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) io.stop();
  });
  key_check.start();
  io.run();
  if (live_started) live.stop();
  const auto& status = live.status();
  std::fprintf(stderr, "gvo-chat: sent %llu (%llu as pre-key messages), received %llu\n",
               static_cast<unsigned long long>(status.sent),
               static_cast<unsigned long long>(status.prekey_sent),
               static_cast<unsigned long long>(status.received));
  return chat.status();
}
