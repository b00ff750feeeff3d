#include "bot/chat/bot_key_check.hpp"

#include <algorithm>
#include <utility>

#include "bot/core/base64.hpp"

namespace gvo::chat {
namespace {

storage::Bytes decoded(const transport::Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return core::base64_decode(it->get<std::string>()).value_or(storage::Bytes{});
}

// GET /v2/keys/{account}'s answer (bot/relay/PROTOCOL.md) as a bundle.
signal::KeyBundle bundle_of(const transport::Json& body) {
  signal::KeyBundle bundle;
  bundle.registration_id = body.value("registration_id", std::uint32_t{0});
  bundle.device_id = body.value("device_id", 1);
  bundle.identity_key = decoded(body, "identity_key");
  if (const auto it = body.find("signed_pre_key"); it != body.end() && it->is_object()) {
    bundle.signed_pre_key = {it->value("id", std::uint32_t{0}), decoded(*it, "public_key"),
                             decoded(*it, "signature")};
  }
  if (const auto it = body.find("pre_key"); it != body.end() && it->is_object()) {
    bundle.pre_key = signal::PreKey{it->value("id", std::uint32_t{0}), decoded(*it, "public_key")};
  }
  return bundle;
}

}  // namespace

std::string fingerprint_digits(std::string fingerprint) {
  fingerprint.erase(std::remove(fingerprint.begin(), fingerprint.end(), ' '), fingerprint.end());
  return fingerprint;
}

BotKeyCheck::BotKeyCheck(boost::asio::io_context& io, signal::Endpoint& endpoint,
                         transport::RelayAccount me, std::string bot,
                         std::string expected_fingerprint, Refused refused, Done done)
    : endpoint_(endpoint),
      bot_(std::move(bot)),
      expected_(fingerprint_digits(std::move(expected_fingerprint))),
      refused_(std::move(refused)),
      done_(std::move(done)) {
  transport::RelayClient::Handlers handlers;
  handlers.connected = [this] { on_connected(); };
  handlers.refused = [this](int status, const std::string& reason) {
    if (!finished_ && refused_) refused_(status, reason);
  };
  // No envelope handler: what the relay delivers on this connection is answered 500 and comes
  // again on the messenger's.
  client_ = std::make_unique<transport::RelayClient>(io, std::move(me), std::move(handlers));
}

BotKeyCheck::~BotKeyCheck() = default;

void BotKeyCheck::start() { client_->start(); }

void BotKeyCheck::on_connected() {
  if (finished_) return;
  client_->request("GET", "/v2/keys/" + bot_, transport::Json::object(),
                   [this](int status, const transport::Json& body) { on_bundle(status, body); });
}

void BotKeyCheck::on_bundle(int status, const transport::Json& body) {
  if (finished_ || status == 0) return;  // 0: the connection ended; asked again on the next
  auto pinned = endpoint_.peer_identity_key({bot_});
  if (!pinned)
    return finish(false, "cannot read the pinned key: " + signal::describe(pinned.error()));
  const bool has_pin = pinned.value().has_value();
  if (status == 404) {
    if (!has_pin && expected_.empty()) return finish(true, "");  // first contact; it may come
    return finish(false, bot_ +
                             " has no keys at this relay, so its identity cannot be checked: "
                             "nothing was sent");
  }
  if (status != 200) {
    return finish(false, "the relay answered " + std::to_string(status) +
                             " when asked for the keys of " + bot_);
  }
  signal::KeyBundle bundle = bundle_of(body);
  const std::string fingerprint = signal::fingerprint_of(bundle.identity_key);
  if (has_pin && *pinned.value() != bundle.identity_key) {
    return finish(false, "REFUSED: the identity key of " + bot_ +
                             " is not the one pinned here.\n  pinned:  " +
                             signal::fingerprint_of(*pinned.value()) +
                             "\n  offered: " + fingerprint +
                             "\nSomeone may be standing in for the bot, or it was installed "
                             "again. Nothing was sent. Ask GVO for the bot's fingerprint "
                             "(gvo-bot fingerprint) before trusting a new key.");
  }
  if (!expected_.empty() && fingerprint_digits(fingerprint) != expected_) {
    return finish(false, "REFUSED: the identity key of " + bot_ +
                             " does not have the expected fingerprint.\n  expected: " + expected_ +
                             "\n  offered:  " + fingerprint + "\nNothing was sent.");
  }
  auto session = endpoint_.has_session({bot_});
  if (!session)
    return finish(false, "cannot read the session: " + signal::describe(session.error()));
  if (session.value()) return finish(true, "");
  // The bundle starts the session (the key is pinned with it): the messenger need not fetch one.
  if (auto started = endpoint_.start_session({bot_}, bundle); !started) {
    return finish(false,
                  "cannot start a session with " + bot_ + ": " + signal::describe(started.error()));
  }
  finish(true, has_pin ? "" : "pinned the identity key of " + bot_ + ": " + fingerprint);
}

void BotKeyCheck::finish(bool go_on, const std::string& message) {
  if (finished_) return;
  finished_ = true;
  client_->stop();
  if (done_) done_({go_on, message});
}

}  // namespace gvo::chat
