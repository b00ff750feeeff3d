// One client's WebSocket connection to gvo-relay: the HTTP upgrade with its credentials, then
// frames in and out (bot/relay/PROTOCOL.md). A template over the byte stream, so that the same
// code runs on TCP, on TLS, and in tests on beast::test::stream; for that reason it lives in a
// header, included only by the relay's server and its tests. Runs on the relay's one thread;
// kept alive by its own pending operations (shared_from_this).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/relay/flood_guard.hpp"
#include "bot/relay/relay_service.hpp"

namespace gvo::relay {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a connection can be asked from outside: more messages have arrived; another connection
// of the same account replaced it.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual void wake() = 0;
  virtual void replace() = 0;
};

// The connected accounts, so that a send can wake its recipient's connection; the flood limits
// every connection counts against; and where the connections tell what the relay's log should
// say.
class Hub {
 public:
  static constexpr std::size_t kNoticesPerWindow = 20;
  static constexpr std::int64_t kNoticeWindowMs = 10'000;

  explicit Hub(RelayService& service, FloodLimits limits = {})
      : service_(service), guard_(limits), notices_(kNoticesPerWindow, kNoticeWindowMs) {}
  RelayService& service() { return service_; }
  FloodGuard& guard() { return guard_; }

  // Lines for the relay's log at notice level: refused upgrades and claims, never with an
  // account name, secret or code (main sends them to the journal). Under a budget, so that a
  // flood cannot flood the log: past kNoticesPerWindow lines in a window, lines are counted by
  // kind and said in one summary line (flush_notices).
  void set_notice_log(std::function<void(const std::string&)> notice) {
    notice_ = std::move(notice);
  }
  void notice(const std::string& line) { notice(line, line); }
  void notice(const std::string& line, const std::string& kind) {
    if (notices_.admit(kind, now_ms()) && notice_) notice_(line);
  }
  // A line that its caller has already rate-limited.
  void log_notice(const std::string& line) const {
    if (notice_) notice_(line);
  }
  // Called now and then (the server's housekeeping): the summary of lines held back.
  void flush_notices(std::int64_t now) {
    if (auto summary = notices_.summary(now); summary && notice_) notice_(*summary);
  }

  void join(const std::string& account, const std::shared_ptr<Peer>& peer) {
    // The newcomer takes the slot first: the connection it replaces then leaves without
    // touching it.
    auto previous = peers_[account].lock();
    peers_[account] = peer;
    if (previous && previous != peer) previous->replace();
  }
  void leave(const std::string& account, const Peer* peer) {
    const auto it = peers_.find(account);
    if (it == peers_.end()) return;
    const auto current = it->second.lock();
    if (!current || current.get() == peer) peers_.erase(it);
  }
  void wake(const std::string& account) {
    const auto it = peers_.find(account);
    if (it == peers_.end()) return;
    if (auto peer = it->second.lock()) peer->wake();
  }
  std::size_t connected() const { return peers_.size(); }
  std::vector<std::string> connected_accounts() const {
    std::vector<std::string> names;
    names.reserve(peers_.size());
    for (const auto& [name, peer] : peers_) names.push_back(name);
    return names;
  }

 private:
  RelayService& service_;
  FloodGuard guard_;
  LogBudget notices_;
  std::function<void(const std::string&)> notice_;
  std::map<std::string, std::weak_ptr<Peer>> peers_;
};

struct ConnectionLimits {
  std::size_t max_frame_bytes = 256 * 1024;
  std::size_t max_in_flight = 64;
  double requests_per_second = 500;
  double request_burst = 1000;
};

// The upgrade header that carries a one-time claim code (accounts.hpp).
inline constexpr const char* kClaimHeader = "X-Gvo-Claim";

template <typename NextLayer>
class Connection : public Peer, public std::enable_shared_from_this<Connection<NextLayer>> {
  static constexpr bool kTls = std::is_same_v<NextLayer, beast::ssl_stream<beast::tcp_stream>>;
  static constexpr bool kTcp = std::is_same_v<NextLayer, beast::tcp_stream>;

 public:
  template <typename... Args>
  Connection(Hub& hub, ConnectionLimits limits, Args&&... args)
      : hub_(hub),
        limits_(limits),
        ws_(std::forward<Args>(args)...),
        request_limit_(limits.requests_per_second, limits.request_burst) {}

  ~Connection() override {
    if (slot_ == Slot::open) hub_.guard().connection_closed(address_);
    if (slot_ == Slot::refusing) hub_.guard().refusal_closed();
  }

  // Before start, from the server: the client's address (what the limits count by), counted
  // among the guard's connections until this one ends.
  void counted_from(std::string address) {
    address_ = std::move(address);
    slot_ = Slot::open;
  }
  // Before start, from the server: over a limit. The upgrade is read (briefly) and answered
  // with this refusal; counted among the guard's refusals until then.
  void refuse_at_upgrade(Refusal refusal) {
    refusal_ = std::move(refusal);
    slot_ = Slot::refusing;
  }

  void start() {
    // A connection that is only to be told why gets less time to say what it wants.
    if constexpr (kTcp || kTls)
      beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(refusal_ ? 5 : 30));
    if constexpr (kTls) {
      ws_.next_layer().async_handshake(boost::asio::ssl::stream_base::server,
                                       [self = this->shared_from_this()](beast::error_code ec) {
                                         if (ec) return self->fail(ec);
                                         self->do_read_upgrade();
                                       });
    } else {
      do_read_upgrade();
    }
  }

  void wake() override { pump(); }

  void replace() override {
    close(websocket::close_code::policy_error, "replaced by a newer connection");
  }

  websocket::stream<NextLayer>& socket() { return ws_; }

 private:
  // --- The upgrade ------------------------------------------------------------------------

  void do_read_upgrade() {
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read_upgrade(ec);
                     });
  }

  void on_read_upgrade(beast::error_code ec) {
    if (ec) return fail(ec);
    if (refusal_) return refuse_upgrade(*refusal_);
    if (request_.target() == "/v1/login") return check_login();
    if (request_.target() != "/v1/websocket") {
      return refuse_upgrade({404, "no such path (the relay serves /v1/websocket)", "wrong path"});
    }
    if (!websocket::is_upgrade(request_)) {
      return refuse_upgrade({400, "not a WebSocket upgrade", "not a WebSocket upgrade"});
    }
    const std::int64_t now = now_ms();
    auto verdict = hub_.service().authenticate(
        header(request_[http::field::authorization]), header(request_[kClaimHeader]), now,
        [this, now] { return hub_.guard().take_new_account(address_, now); });
    if (const Refusal* refusal = std::get_if<Refusal>(&verdict)) return refuse_upgrade(*refusal);
    Admitted& admitted = std::get<Admitted>(verdict);
    if (admitted.claimed_now) hub_.notice("an account was claimed with its code");
    account_ = std::move(admitted.account);
    if constexpr (kTcp || kTls) beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(limits_.max_frame_bytes);
    ws_.text(true);
    ws_.async_accept(request_, [self = this->shared_from_this()](beast::error_code accept_ec) {
      self->on_accept(accept_ec);
    });
  }

  // GET /v1/login, with or without upgrade headers: whether these credentials would be let in,
  // answered in plain HTTP. Nothing is registered or claimed, and no connection of the account
  // is replaced (gvo-bot doctor asks this beside the running bot).
  void check_login() {
    auto verdict = hub_.service().check_login(header(request_[http::field::authorization]));
    if (const Refusal* refusal = std::get_if<Refusal>(&verdict)) return refuse_upgrade(*refusal);
    answer_plain(http::status::ok, "credentials accepted");
  }

  static std::string_view header(beast::string_view value) { return {value.data(), value.size()}; }

  // Answers with the refusal's status and its reason as the body, for the client to log.
  void refuse_upgrade(const Refusal& refusal) {
    const std::string kind = std::to_string(refusal.status) + " " + refusal.reason;
    hub_.notice("upgrade refused, " + kind + ": " + refusal.detail, "upgrade refused, " + kind);
    answer_plain(static_cast<http::status>(refusal.status), refusal.reason, refusal.retry_after_s);
  }

  // One plain-text answer instead of an upgrade, then the connection ends.
  void answer_plain(http::status status, const std::string& line, int retry_after_s = 0) {
    auto response = std::make_shared<http::response<http::string_body>>(status, request_.version());
    response->set(http::field::content_type, "text/plain; charset=utf-8");
    if (retry_after_s > 0) response->set(http::field::retry_after, std::to_string(retry_after_s));
    response->body() = line + "\n";
    response->keep_alive(false);
    response->prepare_payload();
    http::async_write(ws_.next_layer(), *response,
                      [self = this->shared_from_this(), response](beast::error_code, std::size_t) {
                        self->shutdown_transport();
                      });
  }

  void on_accept(beast::error_code ec) {
    if (ec) return fail(ec);
    open_ = true;
    hub_.join(account_, this->shared_from_this());
    do_read();
    pump();
  }

  // --- Frames in ----------------------------------------------------------------------------

  void do_read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == websocket::error::message_too_big) {
      return close(websocket::close_code::too_big, "frame too large");
    }
    if (ec) return fail(ec);
    if (!ws_.got_text()) return close(websocket::close_code::bad_payload, "text frames only");
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    const Json frame = Json::parse(text, nullptr, false);
    if (!frame.is_object()) return close(websocket::close_code::policy_error, "malformed frame");
    const auto type = frame.find("type");
    const auto id = frame.find("id");
    if (type == frame.end() || !type->is_string() || id == frame.end() ||
        !id->is_number_unsigned()) {
      if (id != frame.end() && id->is_number_unsigned()) {
        respond(id->get<std::uint64_t>(), 400, "expected type and id", Json::object());
        return do_read();
      }
      return close(websocket::close_code::policy_error, "malformed frame");
    }
    if (*type == "request") {
      on_request(id->get<std::uint64_t>(), frame);
    } else if (*type == "response") {
      on_response(id->get<std::uint64_t>(), frame);
    } else {
      respond(id->get<std::uint64_t>(), 400, "unknown frame type", Json::object());
    }
    if (open_) do_read();
  }

  void on_request(std::uint64_t id, const Json& frame) {
    const auto verb = frame.find("verb");
    const auto path = frame.find("path");
    if (verb == frame.end() || !verb->is_string() || path == frame.end() || !path->is_string()) {
      return respond(id, 400, "expected verb and path", Json::object());
    }
    const std::int64_t now = now_ms();
    if (const auto wait = request_limit_.take(now)) {
      return respond(id, 429, "too many requests", {{"retry_after", *wait}});
    }
    const auto body_it = frame.find("body");
    const Json body = body_it == frame.end() ? Json::object() : *body_it;
    if (!body.is_object()) return respond(id, 400, "body must be an object", Json::object());
    const Outcome outcome = hub_.service().handle(account_, *verb, *path, body, now);
    respond(id, outcome.status, outcome.message, outcome.body);
    if (outcome.notice) hub_.notice(*outcome.notice);
    if (outcome.deliver_to) hub_.wake(*outcome.deliver_to);
  }

  // A client's answer to a delivery: a 2xx deletes the message; anything else leaves it for the
  // next connection. An answer to nothing we asked is ignored.
  void on_response(std::uint64_t id, const Json& frame) {
    const auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    const std::int64_t seq = it->second;
    in_flight_.erase(it);
    const auto status = frame.find("status");
    if (seq > 0 && status != frame.end() && status->is_number_integer() &&
        status->get<int>() / 100 == 2) {
      hub_.service().acknowledge(account_, seq);
    }
    pump();
  }

  // --- Frames out ---------------------------------------------------------------------------

  void respond(std::uint64_t id, int status, const std::string& message, const Json& body) {
    write(Json{
        {"type", "response"}, {"id", id}, {"status", status}, {"message", message}, {"body", body}}
              .dump());
  }

  void request(const std::string& verb, const std::string& path, const Json& body,
               std::int64_t seq) {
    const std::uint64_t id = ++next_id_;
    in_flight_[id] = seq;
    write(Json{{"type", "request"}, {"id", id}, {"verb", verb}, {"path", path}, {"body", body}}
              .dump());
  }

  // Sends stored messages, oldest first, keeping at most max_in_flight unacknowledged; then,
  // once, the queue-empty notice.
  void pump() {
    if (!open_) return;
    while (in_flight_.size() < limits_.max_in_flight) {
      const auto batch = hub_.service().pending(account_, last_sent_seq_,
                                                limits_.max_in_flight - in_flight_.size());
      if (batch.empty()) break;
      for (const Delivery& delivery : batch) {
        request("PUT", "/api/v1/message", delivery.envelope, delivery.seq);
        last_sent_seq_ = delivery.seq;
      }
    }
    if (!told_empty_ && in_flight_.size() < limits_.max_in_flight) {
      told_empty_ = true;
      request("PUT", "/api/v1/queue/empty", Json::object(), 0);
    }
  }

  void write(std::string frame) {
    if (!open_) return;
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) do_write();
  }

  void do_write() {
    ws_.async_write(boost::asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(beast::error_code ec) {
    if (ec) return fail(ec);
    outbox_.pop_front();
    if (!outbox_.empty()) do_write();
  }

  // --- Ending -------------------------------------------------------------------------------

  void close(websocket::close_code code, const char* reason) {
    if (!open_ || closing_) return;
    closing_ = true;
    open_ = false;
    hub_.leave(account_, this);
    ws_.async_close(websocket::close_reason(code, reason),
                    [self = this->shared_from_this()](beast::error_code) {});
  }

  void fail(beast::error_code) {
    if (open_) hub_.leave(account_, this);
    open_ = false;
  }

  void shutdown_transport() {
    if constexpr (kTcp) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send,
                                                     ignored);
    } else if constexpr (!kTls) {
      ws_.next_layer().close();
    }
  }

  enum class Slot { none, open, refusing };

  Hub& hub_;
  ConnectionLimits limits_;
  std::string address_ = "local";
  Slot slot_ = Slot::none;
  std::optional<Refusal> refusal_;
  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::string account_;
  bool open_ = false;
  bool closing_ = false;
  bool told_empty_ = false;
  RateLimit request_limit_;
  std::deque<std::string> outbox_;
  std::map<std::uint64_t, std::int64_t> in_flight_;  // request id -> seq (0: not a delivery)
  std::uint64_t next_id_ = 0;
  std::int64_t last_sent_seq_ = 0;
};

}  // namespace gvo::relay
