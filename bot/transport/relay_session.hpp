// One connection of the relay client (relay_client.hpp) once its byte stream is up: the WebSocket
// upgrade that logs in, then frames in and out (bot/relay/PROTOCOL.md), each frame read by the
// pure parsers of bot/core/relay_wire.hpp. A template over the stream under the WebSocket, so the
// same code runs on TCP, on TLS, and in tests on beast::test::stream; included only by
// relay_client.cpp and its tests. Runs on the client's one thread; kept alive by its own pending
// operations.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/core/relay_wire.hpp"
#include "bot/transport/relay_client.hpp"

namespace gvo::transport {

// What the upgrade carries.
struct RelayLogin {
  std::string host;           // the Host header
  std::string authorization;  // "Basic ..."
  std::string claim;          // X-Gvo-Claim, or empty
  // GET /v1/login instead of /v1/websocket: the relay only says whether it would let this login
  // in (200), and no connection opens.
  bool check_only = false;
};

// What a session tells its owner. Each may be empty.
struct RelaySessionEvents {
  std::function<void()> open;           // upgraded: requests may go
  std::function<void()> login_checked;  // check_only: the relay would let this login in
  // The relay declined the upgrade with a 4xx; reason is one printable line of its answer.
  std::function<void(int status, const std::string& reason)> refused;
  // The upgrade failed otherwise, or the open connection ended. Pending requests have been
  // told (status 0) by then. Said once.
  std::function<void(const std::string& why)> ended;
  std::function<void(Envelope, RelayClient::Ack)> envelope;
  std::function<void()> queue_empty;
  // A frame that could not be read: answered (400) or dropped, never more than that.
  std::function<void(core::relay::WireErrc, const std::string& detail)> malformed;
};

// The status a request's Done sees when the relay's answer to it could not be read.
inline constexpr int kUnreadableAnswer = 502;

// What the relay said, as one short line of plain ASCII: it reaches logs and terminals.
inline std::string printable_reason(const std::string& body) {
  std::string line = body.substr(0, std::min(body.find('\n'), std::size_t{200}));
  for (char& c : line) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '?')) line.pop_back();
  return line.empty() ? "no reason given" : line;
}

template <typename NextLayer>
class RelaySession : public std::enable_shared_from_this<RelaySession<NextLayer>> {
 public:
  using WebSocket = boost::beast::websocket::stream<NextLayer>;

  template <typename... Args>
  RelaySession(RelaySessionEvents events, RelayTimings timings, Args&&... args)
      : events_(std::move(events)), timings_(timings), ws_(std::forward<Args>(args)...) {}

  WebSocket& ws() { return ws_; }
  bool open() const { return open_; }

  // The upgrade, with the login's headers.
  void start(const RelayLogin& login) {
    namespace websocket = boost::beast::websocket;
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = timings_.idle_timeout;
    timeout.keep_alive_pings = true;  // a ping at half the idle time; silence after it is death
    ws_.set_option(timeout);
    ws_.read_message_max(core::relay::kMaxFrameBytes);
    ws_.text(true);
    ws_.set_option(websocket::stream_base::decorator(
        [authorization = login.authorization, claim = login.claim](websocket::request_type& r) {
          r.set(boost::beast::http::field::authorization, authorization);
          if (!claim.empty()) r.set("X-Gvo-Claim", claim);
        }));
    check_only_ = login.check_only;
    ws_.async_handshake(
        answer_, login.host, login.check_only ? "/v1/login" : "/v1/websocket",
        [self = this->shared_from_this()](boost::beast::error_code ec) { self->on_handshake(ec); });
  }

  void request(const std::string& verb, const std::string& path, const Json& body,
               RelayClient::Done done) {
    if (!open_) {
      if (done) done(0, Json::object());
      return;
    }
    const std::uint64_t id = ++next_id_;
    pending_[id] = std::move(done);
    write(Json{{"type", "request"}, {"id", id}, {"verb", verb}, {"path", path}, {"body", body}}
              .dump());
  }

  // The owner is done with this connection: pending requests are told (status 0), nothing more
  // is reported, and the socket closes (the operations still in flight then end).
  void shut() {
    events_ = RelaySessionEvents{};
    end("closed by the client");
    boost::beast::get_lowest_layer(ws_).close();
  }

 private:
  void on_handshake(const boost::beast::error_code& ec) {
    namespace websocket = boost::beast::websocket;
    if (ended_) return;
    if (ec == websocket::error::upgrade_declined) {
      const int status = static_cast<int>(answer_.result_int());
      if (check_only_ && status == 200) {
        events_.ended = nullptr;
        end("login checked");
        return tell(&RelaySessionEvents::login_checked);
      }
      if (status >= 400 && status < 500) {
        const std::string reason = printable_reason(answer_.body());
        events_.ended = nullptr;  // a refusal is said as such, not again as an end
        end("refused");
        return tell(&RelaySessionEvents::refused, status, reason);
      }
      return end("handshake: the relay answered " + std::to_string(status));
    }
    if (ec) return end("handshake: " + ec.message());
    open_ = true;
    do_read();
    tell(&RelaySessionEvents::open);
  }

  // --- Frames in ---------------------------------------------------------------------------

  void do_read() {
    ws_.async_read(buffer_,
                   [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                     if (self->ended_) return;
                     if (ec) return self->on_read_failed(ec);
                     self->on_frame();
                   });
  }

  void on_read_failed(const boost::beast::error_code& ec) {
    namespace websocket = boost::beast::websocket;
    // The WebSocket itself fails a connection on these (RFC 6455): counted, then it ends.
    if (ec == websocket::error::message_too_big) {
      malformed(core::relay::WireErrc::out_of_range, "frame: too large");
    } else if (ec == websocket::error::bad_frame_payload) {
      malformed(core::relay::WireErrc::not_json, "frame: text not UTF-8");
    }
    end("read: " + ec.message());
  }

  void on_frame() {
    namespace relay = core::relay;
    const std::string text = boost::beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (!ws_.got_text()) {
      malformed(relay::WireErrc::not_json, "frame: binary");
    } else if (auto frame = relay::parse_frame(text); !frame) {
      malformed(frame.code(), frame.error().detail);
      answer_unreadable(relay::parse_frame_head(text));
    } else if (auto* request = std::get_if<relay::Request>(&frame.value())) {
      on_request(*request);
    } else {
      auto& response = std::get<relay::Response>(frame.value());
      complete(response.id, response.status, response.body);
    }
    if (open_) do_read();
  }

  // A frame that could not be read but says what it is: a request is answered, and a response
  // ends the request it answers (as unreadable) rather than leaving it waiting.
  void answer_unreadable(const std::optional<core::relay::FrameHead>& head) {
    if (!head) return;
    if (head->kind == core::relay::FrameHead::Kind::request) return respond(head->id, 400);
    complete(head->id, kUnreadableAnswer, Json::object());
  }

  void complete(std::uint64_t id, int status, const Json& body) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;  // an answer to nothing asked: ignored
    RelayClient::Done done = std::move(it->second);
    pending_.erase(it);
    if (done) done(status, body);
  }

  void on_request(const core::relay::Request& request) {
    if (request.path == "/api/v1/queue/empty") {
      respond(request.id, 200);
      return tell(&RelaySessionEvents::queue_empty);
    }
    if (request.path != "/api/v1/message") return respond(request.id, 404);
    auto read = core::relay::parse_envelope(request.body);
    if (!read) {
      malformed(read.code(), read.error().detail);
      return respond(request.id, 400);  // kept by the relay, never taken in
    }
    Envelope envelope;
    envelope.guid = std::move(read->guid);
    envelope.type = read->type;
    envelope.source = std::move(read->source);
    envelope.client_timestamp = read->client_timestamp;
    envelope.server_timestamp = read->server_timestamp;
    envelope.content = std::move(read->content);
    // The owner answers later, once the message is durably taken in; if this connection is gone
    // by then, the relay delivers it again on the next one.
    RelayClient::Ack ack = [weak = this->weak_from_this(), id = request.id](bool taken) {
      auto self = weak.lock();
      if (!self || !self->open_) return;
      self->respond(id, taken ? 200 : 500);
    };
    if (!events_.envelope) return ack(false);
    tell(&RelaySessionEvents::envelope, std::move(envelope), std::move(ack));
  }

  void malformed(core::relay::WireErrc code, const std::string& detail) {
    tell(&RelaySessionEvents::malformed, code, detail);
  }

  void respond(std::uint64_t id, int status) {
    write(Json{{"type", "response"}, {"id", id}, {"status", status}, {"message", ""}}.dump());
  }

  // --- Frames out --------------------------------------------------------------------------

  void write(std::string frame) {
    if (!open_) return;
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) do_write();
  }

  void do_write() {
    ws_.async_write(boost::asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                      if (self->ended_) return;
                      if (ec) return self->end("write: " + ec.message());
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->do_write();
                    });
  }

  // Once: the connection is over. Pending requests hear status 0 before the owner hears why.
  void end(const std::string& why) {
    if (ended_) return;
    ended_ = true;
    open_ = false;
    outbox_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, done] : pending) {
      if (done) done(0, Json::object());
    }
    tell(&RelaySessionEvents::ended, why);
  }

  // Calls one of the owner's events through a copy: the owner may shut this session from inside
  // it, which clears events_.
  template <typename Event, typename... Args>
  void tell(Event RelaySessionEvents::*event, Args&&... args) {
    const Event handler = events_.*event;
    if (handler) handler(std::forward<Args>(args)...);
  }

  RelaySessionEvents events_;
  RelayTimings timings_;
  WebSocket ws_;
  boost::beast::websocket::response_type answer_;
  bool check_only_ = false;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::map<std::uint64_t, RelayClient::Done> pending_;
  std::uint64_t next_id_ = 0;
  bool open_ = false;
  bool ended_ = false;
};

}  // namespace gvo::transport
