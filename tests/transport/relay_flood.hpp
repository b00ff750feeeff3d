// A real gvo-relay on loopback (port 0, a temporary folder) and, in this process, the bot's
// Messenger over a real store, a coordinator with a real Signal endpoint, and senders of garbage
// from accounts the bot has never heard of: for the flood test and gvo-flood-bench. One thread
// per io_context; the helpers run the loop until a condition holds (no sleeps).
#pragma once

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bot/core/base64.hpp"
#include "bot/signal/endpoint.hpp"
#include "bot/transport/messenger.hpp"
#include "bot/transport/relay_client.hpp"
#include "storage/store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gvo::test {

inline storage::Store open_store(const std::string& path) {
  auto key = storage::SealingKey::generate();
  auto store = storage::Store::open(path, storage::Sealer({std::move(key).value()}),
                                    storage::OpenMode::create_if_missing);
  if (!store) throw std::runtime_error(storage::describe(store.error()));
  return std::move(store).value();
}

inline std::int64_t count_rows(storage::Store& store, const std::string& table) {
  auto row = store.db().prepare("SELECT count(*) FROM " + table);
  if (!row || !row->step()) throw std::runtime_error("count " + table);
  return row->column_int64(0);
}

// Runs io until done() holds or timeout passes; whether it held.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

class RelayOnLoopback {
 public:
  RelayOnLoopback() {
    relay_ = start_ready(GVO_RELAY_PATH,
                         {"--listen", "127.0.0.1:0", "--port-file", "port", "--data", "relay"},
                         dir_.path(), "relay");
    std::ifstream(dir_.file("port")) >> port_;
    if (port_ == 0) throw std::runtime_error("the relay wrote no port");
  }
  const TempDir& dir() const { return dir_; }

  transport::RelayAccount account(const std::string& name) const {
    transport::RelayAccount account;
    account.port = port_;
    account.account = name;
    account.secret = "secret of " + name + " for the flood";
    return account;
  }

 private:
  TempDir dir_;
  ReadyDaemon relay_;
  unsigned short port_ = 0;
};

// A plain relay client for one account, on io: connects, asks, sends.
class RelaySender {
 public:
  RelaySender(boost::asio::io_context& io, const transport::RelayAccount& account)
      : io_(io), client_(io, account, handlers()) {
    client_.start();
    if (!run_until(
            io_, [this] { return connected_; }, std::chrono::seconds(10)))
      throw std::runtime_error("no connection for " + account.account);
  }

  // One request, its answer awaited.
  std::pair<int, transport::Json> ask(const std::string& verb, const std::string& path,
                                      transport::Json body) {
    bool done = false;
    std::pair<int, transport::Json> answer{0, {}};
    client_.request(verb, path, std::move(body), [&](int status, const transport::Json& reply) {
      answer = {status, reply};
      done = true;
    });
    run_until(
        io_, [&] { return done; }, std::chrono::seconds(10));
    return answer;
  }

  // A message to peer, not awaited: done(status) once the relay has stored it (or not).
  void send(const std::string& peer, std::uint32_t registration_id, int type,
            const std::vector<std::uint8_t>& content, std::int64_t timestamp,
            std::function<void(int)> done = {}) {
    transport::Json body{
        {"timestamp", timestamp},
        {"messages", transport::Json::array({{{"type", type},
                                              {"destination_device_id", 1},
                                              {"destination_registration_id", registration_id},
                                              {"content", core::base64_encode(content)}}})}};
    client_.request("PUT", "/v1/messages/" + peer, std::move(body),
                    [done = std::move(done)](int status, const transport::Json&) {
                      if (done) done(status);
                    });
  }

 private:
  transport::RelayClient::Handlers handlers() {
    transport::RelayClient::Handlers handlers;
    handlers.connected = [this] { connected_ = true; };
    handlers.envelope = [](transport::Envelope, transport::RelayClient::Ack ack) { ack(true); };
    return handlers;
  }

  boost::asio::io_context& io_;
  transport::RelayClient client_;
  bool connected_ = false;
};

inline signal::KeyBundle bundle_from(const transport::Json& body) {
  auto decode = [](const transport::Json& object, const char* key) {
    return core::base64_decode(object.value(key, "")).value_or(storage::Bytes{});
  };
  signal::KeyBundle bundle;
  bundle.registration_id = body.value("registration_id", std::uint32_t{0});
  bundle.identity_key = decode(body, "identity_key");
  const auto& signed_key = body.at("signed_pre_key");
  bundle.signed_pre_key = {signed_key.value("id", std::uint32_t{0}),
                           decode(signed_key, "public_key"), decode(signed_key, "signature")};
  if (body.contains("pre_key")) {
    const auto& one = body.at("pre_key");
    bundle.pre_key = signal::PreKey{one.value("id", std::uint32_t{0}), decode(one, "public_key")};
  }
  return bundle;
}

// Someone with a real Signal endpoint (a coordinator, or an attacker sending ciphertexts that
// parse but do not decrypt), talking to the bot through the relay.
class SignalSender {
 public:
  SignalSender(boost::asio::io_context& io, const RelayOnLoopback& relay, const std::string& name)
      : store_(open_store(relay.dir().file(name + ".db"))),
        endpoint_(std::move(signal::Endpoint::open(store_, 0)).value()),
        sender_(io, relay.account(name)) {}

  std::uint32_t start_session_with(const std::string& peer) {
    const auto [status, body] = sender_.ask("GET", "/v2/keys/" + peer, transport::Json::object());
    if (status != 200) throw std::runtime_error("no bundle for " + peer);
    const auto bundle = bundle_from(body);
    if (!endpoint_->start_session({peer}, bundle)) throw std::runtime_error("no session");
    return bundle.registration_id;
  }

  // Encrypted to peer; spoiled: its last bytes (the MAC) changed, so that it cannot be read.
  void send(const std::string& peer, std::uint32_t registration_id, const std::string& text,
            std::int64_t timestamp, bool spoiled = false, std::function<void(int)> done = {}) {
    auto ciphertext = endpoint_->encrypt({peer}, text);
    if (!ciphertext) throw std::runtime_error("encrypt");
    auto bytes = ciphertext.value().bytes;
    if (spoiled) bytes.back() ^= 0x5a;
    const int type = ciphertext.value().kind == signal::MessageKind::prekey ? 3 : 1;
    sender_.send(peer, registration_id, type, bytes, timestamp, std::move(done));
  }

  RelaySender& relay() { return sender_; }

 private:
  storage::Store store_;
  std::unique_ptr<signal::Endpoint> endpoint_;
  RelaySender sender_;
};

// The bot's side: its store, endpoint and Messenger, with staff taken first.
class BotOnRelay {
 public:
  using Received = std::function<void(const transport::Inbound&)>;

  BotOnRelay(boost::asio::io_context& io, const RelayOnLoopback& relay,
             std::vector<std::string> staff, bool staff_first = true)
      : store_(open_store(relay.dir().file("bot.db"))),
        endpoint_(std::move(signal::Endpoint::open(store_, 0)).value()) {
    transport::Messenger::Handlers handlers;
    handlers.received = [this](const transport::Inbound& inbound) -> storage::Result<void> {
      if (received_) received_(inbound);
      return {};
    };
    handlers.ready = [this] { ready_ = true; };
    if (staff_first) {
      handlers.priority = [staff = std::move(staff)](const std::string& peer) {
        return std::find(staff.begin(), staff.end(), peer) != staff.end();
      };
    }
    messenger_ = std::make_unique<transport::Messenger>(io, store_, *endpoint_,
                                                        relay.account("bot"), handlers);
  }

  void on_received(Received received) { received_ = std::move(received); }
  transport::Messenger& messenger() { return *messenger_; }
  storage::Store& store() { return store_; }
  bool ready() const { return ready_; }
  void forget_ready() { ready_ = false; }

 private:
  storage::Store store_;
  std::unique_ptr<signal::Endpoint> endpoint_;
  std::unique_ptr<transport::Messenger> messenger_;
  Received received_;
  bool ready_ = false;
};

inline std::vector<std::uint8_t> random_bytes(std::mt19937& random, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random() & 0xff);
  return bytes;
}

}  // namespace gvo::test
